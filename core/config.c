/* core/config.c: typed settings from defaults, INI files, flags and --set.
**
** A Config is a list of declared specs (borrowed, never copied) and a list of
** the values that were set, each with where it came from. Lookups are linear:
** a command declares about a hundred keys and reads each a few times at
** start-up, so nothing here is on a hot path.
*/
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "core/config.h"
#include "core/ini_read.h"

typedef struct {
    char *section, *key, *value, *origin;
} Entry;

struct Config {
    const OptSpec **specs;
    size_t n_specs, cap_specs;
    Entry *entries;
    size_t n_entries, cap_entries;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int fail(char *err, size_t n_err, const char *fmt, ...)
{
    if (err && n_err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n_err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

Config *config_alloc(void) { return calloc(1, sizeof(Config)); }

void config_free(Config *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_entries; i++) {
        free(c->entries[i].section);
        free(c->entries[i].key);
        free(c->entries[i].value);
        free(c->entries[i].origin);
    }
    free(c->entries);
    free(c->specs);
    free(c);
}

int config_declare(Config *c, const OptSpec *specs)
{
    for (const OptSpec *s = specs; s->section; s++) {
        if (c->n_specs == c->cap_specs) {
            size_t cap = c->cap_specs ? 2 * c->cap_specs : 64;
            const OptSpec **p = realloc(c->specs, cap * sizeof *p);
            if (!p) return -1;
            c->specs = p;
            c->cap_specs = cap;
        }
        c->specs[c->n_specs++] = s;
    }
    return 0;
}

const OptSpec *config_declared(const Config *c, size_t i)
{
    return i < c->n_specs ? c->specs[i] : NULL;
}

/* ---- strict number parsing ---------------------------------------------- */

int parse_long(const char *s, long *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    while (*end == ' ' || *end == '\t') end++;
    if (errno || *end || end == s) {
        /* accept integral reals such as "1e4" for counts */
        double d;
        if (parse_double(s, &d) == 0 && d == floor(d) && fabs(d) < 9e15) {
            *out = (long)d;
            return 0;
        }
        return -1;
    }
    *out = v;
    return 0;
}

int parse_double(const char *s, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (errno || *end || end == s || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *yes[] = { "1", "true", "yes", "on" }, *no[] = { "0", "false", "no", "off" };
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) { *out = 1; return 0; }
        if (strcmp(s, no[i]) == 0) { *out = 0; return 0; }
    }
    return -1;
}

static int choice_has(const char *choices, const char *v)
{
    size_t n = strlen(v);
    if (n == 0) return 0;
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static const char *kind_word(OptKind k)
{
    switch (k) {
    case OPT_INT: return "a whole number";
    case OPT_DOUBLE: return "a number";
    case OPT_BOOL: return "true or false";
    case OPT_CHOICE: return "one of";
    case OPT_STRING: return "text";
    case OPT_INT_LIST: return "a comma-separated list of whole numbers";
    }
    return "?";
}

/* Check v against one spec; on failure write "ORIGIN: 'v' is not ...". */
static int check_value(const OptSpec *s, const char *v, const char *origin,
                       char *err, size_t n_err)
{
    long l;
    double d;
    int b;
    switch (s->kind) {
    case OPT_INT:
        if (parse_long(v, &l) != 0)
            return fail(err, n_err, "%s: '%s' is not a whole number (expected %g..%g)", origin, v, s->min, s->max);
        if (l < s->min || l > s->max)
            return fail(err, n_err, "%s: %ld is out of range (expected %g..%g)", origin, l, s->min, s->max);
        return 0;
    case OPT_DOUBLE:
        if (parse_double(v, &d) != 0)
            return fail(err, n_err, "%s: '%s' is not a number (expected %g..%g)", origin, v, s->min, s->max);
        if (d < s->min || d > s->max)
            return fail(err, n_err, "%s: %g is out of range (expected %g..%g)", origin, d, s->min, s->max);
        return 0;
    case OPT_BOOL:
        if (parse_bool(v, &b) != 0)
            return fail(err, n_err, "%s: '%s' is not true or false (expected 1/0, true/false, yes/no, on/off)", origin, v);
        return 0;
    case OPT_CHOICE:
        if (!choice_has(s->choices, v))
            return fail(err, n_err, "%s: unknown value '%s' (expected one of %s)", origin, v, s->choices);
        return 0;
    case OPT_STRING:
        return 0;
    case OPT_INT_LIST: {
        char buf[8192];   /* 256 blocks of up to 7 digits fit */
        if (strlen(v) >= sizeof buf) return fail(err, n_err, "%s: list too long", origin);
        strcpy(buf, v);
        int count = 0;
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ') tok++;
            if (parse_long(tok, &l) != 0)
                return fail(err, n_err, "%s: '%s' in '%s' is not a whole number (expected %s)", origin, tok, v, kind_word(s->kind));
            if (l < s->min || l > s->max)
                return fail(err, n_err, "%s: %ld in '%s' is out of range (expected %g..%g)", origin, l, v, s->min, s->max);
            count++;
        }
        if (count == 0) return fail(err, n_err, "%s: empty list (expected %s)", origin, kind_word(s->kind));
        return 0;
    }
    }
    return 0;
}

/* ---- lookup ------------------------------------------------------------- */

static Entry *find_entry(const Config *c, const char *section, const char *key)
{
    for (size_t i = 0; i < c->n_entries; i++)
        if (strcmp(c->entries[i].section, section) == 0 && strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    return NULL;
}

/* The selector spec of a section (key "name", kind OPT_CHOICE), or NULL. */
static const OptSpec *selector_spec(const Config *c, const char *section)
{
    for (size_t i = 0; i < c->n_specs; i++) {
        const OptSpec *s = c->specs[i];
        if (strcmp(s->section, section) == 0 && strcmp(s->key, "name") == 0 && s->kind == OPT_CHOICE && !s->owner)
            return s;
    }
    return NULL;
}

/* The chosen owner of a section, or NULL if the section has no selector. */
static const char *section_owner(const Config *c, const char *section)
{
    const OptSpec *sel = selector_spec(c, section);
    if (!sel) return NULL;
    const Entry *e = find_entry(c, section, "name");
    return e ? e->value : sel->def;
}

const OptSpec *config_spec(const Config *c, const char *section, const char *key)
{
    const char *owner = section_owner(c, section);
    for (size_t i = 0; i < c->n_specs; i++) {
        const OptSpec *s = c->specs[i];
        if (strcmp(s->section, section) || strcmp(s->key, key)) continue;
        if (!s->owner || (owner && strcmp(s->owner, owner) == 0)) return s;
    }
    return NULL;
}

static int section_declared(const Config *c, const char *section)
{
    for (size_t i = 0; i < c->n_specs; i++)
        if (strcmp(c->specs[i]->section, section) == 0) return 1;
    return 0;
}

/* "a, b, c": the keys of a section that apply to `owner` (NULL = shared keys only). */
static void list_keys(const Config *c, const char *section, const char *owner, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->n_specs; i++) {
        const OptSpec *s = c->specs[i];
        if (strcmp(s->section, section)) continue;
        if (s->owner && (!owner || strcmp(s->owner, owner))) continue;
        if (!owner && s->owner) continue;
        int dup = 0;   /* several owners may declare the same key */
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->specs[j]->section, section) && !strcmp(c->specs[j]->key, s->key)) dup = 1;
        if (dup) continue;
        int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", s->key);
        if (w < 0 || (size_t)w >= n - used) break;
        used += (size_t)w;
    }
}

static void list_sections(const Config *c, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->n_specs; i++) {
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->specs[j]->section, c->specs[i]->section)) dup = 1;
        if (dup) continue;
        int w = snprintf(out + used, n - used, "%s[%s]", used ? ", " : "", c->specs[i]->section);
        if (w < 0 || (size_t)w >= n - used) break;
        used += (size_t)w;
    }
}

/* ---- setting values ----------------------------------------------------- */

int config_set(Config *c, const char *section, const char *key, const char *value,
               const char *origin, char *err, size_t n_err)
{
    char keys[1024];
    if (!section_declared(c, section)) {
        list_sections(c, keys, sizeof keys);
        return fail(err, n_err, "%s: unknown section [%s] (accepted: %s)", origin, section, keys);
    }
    /* The value must suit at least one spec of that key; the chosen owner's
    ** spec is checked again in config_finalize(). */
    const OptSpec *first = NULL;
    int ok = 0;
    char first_err[512] = "";
    for (size_t i = 0; i < c->n_specs; i++) {
        const OptSpec *s = c->specs[i];
        if (strcmp(s->section, section) || strcmp(s->key, key)) continue;
        if (!first) first = s;
        char e[512];
        if (check_value(s, value, origin, e, sizeof e) == 0) { ok = 1; break; }
        if (!first_err[0]) strcpy(first_err, e);
    }
    if (!first) {
        const char *owner = section_owner(c, section);
        list_keys(c, section, NULL, keys, sizeof keys);
        if (owner) {
            char own[512];
            list_keys(c, section, owner, own, sizeof own);
            return fail(err, n_err, "%s: unknown key '%s.%s' (accepted: %s%s%s)", origin, section, key,
                        keys, own[0] ? "; for this one also " : "", own);
        }
        return fail(err, n_err, "%s: unknown key '%s.%s' (accepted in [%s]: %s)", origin, section, key, section, keys);
    }
    if (!ok) return fail(err, n_err, "%s", first_err);

    Entry *e = find_entry(c, section, key);
    if (!e) {
        if (c->n_entries == c->cap_entries) {
            size_t cap = c->cap_entries ? 2 * c->cap_entries : 32;
            Entry *p = realloc(c->entries, cap * sizeof *p);
            if (!p) return fail(err, n_err, "out of memory");
            c->entries = p;
            c->cap_entries = cap;
        }
        e = &c->entries[c->n_entries];
        *e = (Entry){ dup_str(section), dup_str(key), NULL, NULL };
        if (!e->section || !e->key) {
            free(e->section);
            free(e->key);
            return fail(err, n_err, "out of memory");
        }
        c->n_entries++;
    }
    char *v = dup_str(value), *o = dup_str(origin);
    if (!v || !o) {
        free(v);
        free(o);
        return fail(err, n_err, "out of memory");
    }
    free(e->value);
    free(e->origin);
    e->value = v;
    e->origin = o;
    return 0;
}

int config_assign(Config *c, const char *assignment, const char *origin, char *err, size_t n_err)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = strchr(assignment, '.');
    if (!eq || !dot || dot > eq || dot == assignment || dot + 1 == eq)
        return fail(err, n_err, "%s: '%s' is not of the form section.key=value", origin, assignment);
    char section[128], key[128];
    size_t ls = (size_t)(dot - assignment), lk = (size_t)(eq - dot - 1);
    if (ls >= sizeof section || lk >= sizeof key)
        return fail(err, n_err, "%s: name too long in '%s'", origin, assignment);
    memcpy(section, assignment, ls);
    section[ls] = '\0';
    memcpy(key, dot + 1, lk);
    key[lk] = '\0';
    char where[300];
    snprintf(where, sizeof where, "%s %s.%s", origin, section, key);
    return config_set(c, section, key, eq + 1, where, err, n_err);
}

typedef struct {
    Config *c;
    const char *origin;
    const char *only;   /* read this section only (NULL: every section) */
} IniCtx;

static int ini_entry(void *user, const char *section, const char *name, const char *value, int line,
                     char *err, size_t n_err)
{
    IniCtx *x = user;
    if (x->only && strcmp(section, x->only) != 0) return 0;
    char where[300];
    snprintf(where, sizeof where, "%s:%d [%s] %s", x->origin, line, section, name);
    return config_set(x->c, section, name, value, where, err, n_err);
}

int config_load_ini(Config *c, const char *path, char *err, size_t n_err)
{
    IniCtx x = { c, path, NULL };
    return ini_read_file(path, "the config file", 0, ini_entry, &x, err, n_err);
}

int config_load_text(Config *c, const char *text, const char *origin, char *err, size_t n_err)
{
    IniCtx x = { c, origin, NULL };
    return ini_read_text(text, origin, 0, ini_entry, &x, err, n_err);
}

int config_load_text_section(Config *c, const char *text, const char *section, const char *origin,
                             char *err, size_t n_err)
{
    IniCtx x = { c, origin, section };
    return ini_read_text(text, origin, 0, ini_entry, &x, err, n_err);
}

int config_finalize(Config *c, char *err, size_t n_err)
{
    for (size_t i = 0; i < c->n_entries; i++) {
        const Entry *e = &c->entries[i];
        const OptSpec *s = config_spec(c, e->section, e->key);
        if (!s) {
            const char *owner = section_owner(c, e->section);
            char own[512];
            list_keys(c, e->section, owner, own, sizeof own);
            return fail(err, n_err, "%s: %s.%s does not apply to %s %s (it takes: %s)", e->origin,
                        e->section, e->key, e->section, owner ? owner : "?", own[0] ? own : "no parameters");
        }
        if (check_value(s, e->value, e->origin, err, n_err) != 0) return -1;
    }
    return 0;
}

/* ---- getters ------------------------------------------------------------ */

const char *config_get(const Config *c, const char *section, const char *key)
{
    const OptSpec *s = config_spec(c, section, key);
    if (!s) return NULL;
    const Entry *e = find_entry(c, section, key);
    return e ? e->value : s->def;
}

int config_is_set(const Config *c, const char *section, const char *key)
{
    return find_entry(c, section, key) != NULL;
}

const char *config_given(const Config *c, const char *section, const char *key, const char **origin)
{
    const Entry *e = find_entry(c, section, key);
    if (e && origin) *origin = e->origin;
    return e ? e->value : NULL;
}

long config_int(const Config *c, const char *section, const char *key)
{
    const char *v = config_get(c, section, key);
    long l = 0;
    assert(v && "undeclared integer setting");
    int rc = parse_long(v, &l);
    assert(rc == 0);
    (void)rc;
    return l;
}

double config_double(const Config *c, const char *section, const char *key)
{
    const char *v = config_get(c, section, key);
    double d = 0;
    assert(v && "undeclared real setting");
    int rc = parse_double(v, &d);
    assert(rc == 0);
    (void)rc;
    return d;
}

int config_bool(const Config *c, const char *section, const char *key)
{
    const char *v = config_get(c, section, key);
    int b = 0;
    assert(v && "undeclared boolean setting");
    int rc = parse_bool(v, &b);
    assert(rc == 0);
    (void)rc;
    return b;
}

const char *config_str(const Config *c, const char *section, const char *key)
{
    const char *v = config_get(c, section, key);
    assert(v && "undeclared text setting");
    return v;
}

int config_int_list(const Config *c, const char *section, const char *key, long *out, int max_n)
{
    const char *v = config_str(c, section, key);
    int n = 0;
    for (const char *p = v; *p && n < max_n;) {
        char *end;
        long l = strtol(p, &end, 10);
        if (end == p) break;
        out[n++] = l;
        p = end;
        while (*p == ' ' || *p == ',') p++;
    }
    return n;
}

/* ---- dump --------------------------------------------------------------- */

typedef struct { char *buf; size_t len, cap; int oom; } Text;

static void text_add(Text *t, const char *fmt, ...)
{
    if (t->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (w < 0) { t->oom = 1; return; }
        if ((size_t)w < t->cap - t->len) { t->len += (size_t)w; return; }
        size_t cap = 2 * t->cap + (size_t)w + 64;
        char *p = realloc(t->buf, cap);
        if (!p) { t->oom = 1; return; }
        t->buf = p;
        t->cap = cap;
    }
}

/* A Config with c's declarations and nothing set. */
static Config *config_alloc_like(const Config *c)
{
    Config *d = config_alloc();
    if (!d) return NULL;
    d->specs = c->n_specs ? malloc(c->n_specs * sizeof *d->specs) : NULL;
    if (c->n_specs && !d->specs) {
        config_free(d);
        return NULL;
    }
    memcpy(d->specs, c->specs, c->n_specs * sizeof *d->specs);
    d->n_specs = d->cap_specs = c->n_specs;
    return d;
}

int config_same_as_stored(const Config *c, const char *stored, char *what, size_t n_what)
{
    char err[512];
    Config *old = config_alloc_like(c);
    if (!old) return fail(what, n_what, "out of memory");
    int rc = 1;
    if (config_load_text(old, stored, "stored configuration", err, sizeof err) != 0 ||
        config_finalize(old, err, sizeof err) != 0) {
        fail(what, n_what, "%s", err);
        rc = 0;
    }
    for (size_t i = 0; rc == 1 && i < c->n_specs; i++) {
        const OptSpec *s = c->specs[i];
        if (config_spec(c, s->section, s->key) != s) continue;
        const char *now = config_get(c, s->section, s->key);
        const char *was = config_get(old, s->section, s->key);
        if (!was || strcmp(was, now)) {
            fail(what, n_what, "%s.%s is %s in the stored run, %s now", s->section, s->key, was ? was : "absent",
                 now);
            rc = 0;
        }
    }
    config_free(old);
    return rc;
}

char *config_dump(const Config *c)
{
    Text t = { malloc(256), 0, 256, 0 };
    if (!t.buf) return NULL;
    t.buf[0] = '\0';
    for (size_t i = 0; i < c->n_specs; i++) {
        const char *sec = c->specs[i]->section;
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->specs[j]->section, sec)) seen = 1;
        if (seen) continue;
        text_add(&t, "%s[%s]\n", t.len ? "\n" : "", sec);
        for (size_t j = i; j < c->n_specs; j++) {
            const OptSpec *s = c->specs[j];
            if (strcmp(s->section, sec)) continue;
            if (config_spec(c, sec, s->key) != s) continue;   /* not this owner's, or a duplicate */
            text_add(&t, "%s = %s\n", s->key, config_get(c, sec, s->key));
        }
    }
    if (t.oom) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}
