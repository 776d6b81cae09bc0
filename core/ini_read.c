/* core/ini_read.c: the one INI reader (see ini_read.h).
**
** inih does the parsing. Debian builds it with a 200-byte line buffer and
** no realloc, so a longer line (a 100-item `blocks =` list) would come back
** as a value cut short plus a "malformed" line that the file does not have.
** The reader below hands inih a long line in pieces: the first piece as it
** is, each further piece indented, which inih reads as a continuation of
** the same key; the pieces are joined again before the caller sees the
** entry, and every line number is mapped back to the file's own. A line
** that is indented in the file itself (inih's multi-line value) is refused:
** the same text on one line means one thing only.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "core/files.h"
#include "core/ini_read.h"

typedef struct {
    /* the text and the reader's place in it */
    const char *text, *pos;
    int line;                 /* physical line of the piece last handed to inih (1-based) */
    int piece;                /* 0: the start of a line; > 0: a continuation piece */
    int *map;                 /* inih's line number -> physical line */
    int n_map, cap_map;
    /* the entry being assembled */
    char *section, *key, *value;
    size_t value_len;
    int entry_line, have_entry;
    /* keys seen, for duplicates: "section\nkey" and the line */
    char **seen;
    int *seen_line;
    int n_seen, cap_seen;
    IniEntryFn fn;
    void *user;
    const char *origin;
    char *err;
    size_t n_err;
    int failed;               /* an error is in err */
    int flags;                /* INI_REPEATS */
} Reader;

static int fail(Reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Reader *r, const char *fmt, ...)
{
    if (r->failed) return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->n_err, fmt, ap);
    va_end(ap);
    r->failed = 1;
    return 0;   /* inih: stop */
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int map_line(Reader *r, int line)
{
    if (r->n_map == r->cap_map) {
        int cap = r->cap_map ? 2 * r->cap_map : 256;
        int *p = realloc(r->map, (size_t)cap * sizeof *p);
        if (!p) return -1;
        r->map = p;
        r->cap_map = cap;
    }
    r->map[r->n_map++] = line;
    return 0;
}

/* inih's reader: copy the next piece of the text into str (at most num - 1
** bytes and the NUL). */
static char *next_piece(char *str, int num, void *stream)
{
    Reader *r = stream;
    if (!*r->pos || r->failed) return NULL;
    const char *end = strchr(r->pos, '\n');
    size_t len = end ? (size_t)(end - r->pos) : strlen(r->pos);
    int lead = r->piece > 0;                  /* indent a continuation piece */
    size_t room = (size_t)num - 2 - (size_t)lead;   /* leave the newline and the NUL */
    size_t take = len;
    if (r->piece == 0) {
        r->line++;
        const char *p = r->pos;
        while (p < r->pos + len && is_space(*p)) p++;
        if (len > 0 && is_space(*r->pos) && p < r->pos + len && *p != ';' && *p != '#') {
            fail(r, "%s:%d: an indented line (put each key = value on one line, unindented)", r->origin, r->line);
            return NULL;
        }
        if (len > room && p < r->pos + len && *p == '[') {
            fail(r, "%s:%d: section name too long", r->origin, r->line);
            return NULL;
        }
        if (len > room && p < r->pos + len && (*p == ';' || *p == '#')) {
            /* a long comment: hand inih its start, drop the rest */
            if (map_line(r, r->line) != 0) {
                fail(r, "%s: out of memory", r->origin);
                return NULL;
            }
            memcpy(str, r->pos, room);
            str[room] = '\n';
            str[room + 1] = '\0';
            r->pos += len;
            if (*r->pos == '\n') r->pos++;
            return str;
        }
    }
    if (take > room) {
        /* Cut where neither side is blank and the next piece does not look
        ** like a comment, so that inih's trimming joins the pieces exactly. */
        take = room;
        while (take > 1 && (is_space(r->pos[take - 1]) || is_space(r->pos[take]) || r->pos[take] == ';' ||
                            r->pos[take] == '#'))
            take--;
        if (r->piece == 0 && !memchr(r->pos, '=', take) && !memchr(r->pos, ':', take)) {
            fail(r, "%s:%d: key too long", r->origin, r->line);
            return NULL;
        }
    }
    if (map_line(r, r->line) != 0) {
        fail(r, "%s: out of memory", r->origin);
        return NULL;
    }
    if (lead) str[0] = ' ';
    memcpy(str + lead, r->pos, take);
    str[lead + take] = '\n';
    str[lead + take + 1] = '\0';
    r->pos += take;
    if (take == len) {                        /* the line is done */
        if (*r->pos == '\n') r->pos++;
        r->piece = 0;
    } else {
        r->piece++;
    }
    return str;
}

/* Hand the assembled entry to the caller. */
static int flush(Reader *r)
{
    if (!r->have_entry || r->failed) return r->failed ? -1 : 0;
    r->have_entry = 0;
    size_t n = strlen(r->section) + strlen(r->key) + 2;
    char *id = malloc(n);
    if (!id) return fail(r, "%s: out of memory", r->origin), -1;
    snprintf(id, n, "%s\n%s", r->section, r->key);
    for (int i = 0; i < r->n_seen && !(r->flags & INI_REPEATS); i++)
        if (strcmp(r->seen[i], id) == 0) {
            free(id);
            fail(r, "%s:%d: [%s] %s is given twice (first on line %d)", r->origin, r->entry_line, r->section,
                 r->key, r->seen_line[i]);
            return -1;
        }
    if (r->n_seen == r->cap_seen) {
        int cap = r->cap_seen ? 2 * r->cap_seen : 32;
        char **s = realloc(r->seen, (size_t)cap * sizeof *s);
        if (s) r->seen = s;
        int *l = s ? realloc(r->seen_line, (size_t)cap * sizeof *l) : NULL;
        if (l) r->seen_line = l;
        if (!s || !l) {
            free(id);
            return fail(r, "%s: out of memory", r->origin), -1;
        }
        r->cap_seen = cap;
    }
    r->seen[r->n_seen] = id;
    r->seen_line[r->n_seen++] = r->entry_line;
    if (r->fn(r->user, r->section, r->key, r->value, r->entry_line, r->err, r->n_err) != 0) {
        r->failed = 1;
        return -1;
    }
    return 0;
}

static char *dup_or_fail(Reader *r, const char *s)
{
    char *d = strdup(s);
    if (!d) fail(r, "%s: out of memory", r->origin);
    return d;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    Reader *r = user;
    if (r->failed) return 0;
    if (r->have_entry && r->map[r->n_map - 1] == r->entry_line) {
        /* a continuation piece of the entry's own line: join it */
        size_t add = strlen(value);
        char *v = realloc(r->value, r->value_len + add + 1);
        if (!v) return fail(r, "%s: out of memory", r->origin);
        memcpy(v + r->value_len, value, add + 1);
        r->value = v;
        r->value_len += add;
        return 1;
    }
    if (flush(r) != 0) return 0;
    if (!section[0]) return fail(r, "%s:%d: key '%s' outside any [section]", r->origin, r->line, name);
    free(r->section);
    free(r->key);
    free(r->value);
    r->key = r->value = NULL;
    if (!(r->section = dup_or_fail(r, section)) || !(r->key = dup_or_fail(r, name)) ||
        !(r->value = dup_or_fail(r, value)))
        return 0;
    r->value_len = strlen(value);
    r->entry_line = r->line;
    r->have_entry = 1;
    return 1;
}

int ini_read_text(const char *text, const char *origin, int flags, IniEntryFn fn, void *user, char *err,
                  size_t n_err)
{
    Reader r = { .text = text, .pos = text, .fn = fn, .user = user, .origin = origin, .err = err, .n_err = n_err,
                 .flags = flags };
    int rc = ini_parse_stream(next_piece, &r, on_entry, &r);
    if (!r.failed && rc == 0) flush(&r);
    if (!r.failed && rc == -2) fail(&r, "%s: out of memory", origin);
    if (!r.failed && rc > 0) {
        int line = rc <= r.n_map ? r.map[rc - 1] : r.line;
        fail(&r, "%s:%d: malformed line (expected [section] or key = value)", origin, line);
    }
    free(r.map);
    free(r.section);
    free(r.key);
    free(r.value);
    for (int i = 0; i < r.n_seen; i++) free(r.seen[i]);
    free(r.seen);
    free(r.seen_line);
    return r.failed ? -1 : 0;
}

char *ini_slurp(const char *path, const char *what, char *err, size_t n_err)
{
    struct stat st;
    if (files_check_input(path, what, err, n_err) != 0 || stat(path, &st) != 0) return NULL;
    if (st.st_size > INI_MAX_BYTES) {
        snprintf(err, n_err, "%s: %lld bytes, too large for %s (at most %d)", path, (long long)st.st_size, what,
                 INI_MAX_BYTES);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, n_err, "%s: cannot read %s (%s)", path, what, strerror(errno));
        return NULL;
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t n = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
    int bad = !text || ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, n_err, text ? "%s: cannot read %s" : "%s: out of memory reading %s", path, what);
        free(text);
        return NULL;
    }
    text[n] = '\0';
    if (memchr(text, '\0', n)) {
        snprintf(err, n_err, "%s: not a text file (it holds NUL bytes)", path);
        free(text);
        return NULL;
    }
    return text;
}

int ini_read_file(const char *path, const char *what, int flags, IniEntryFn fn, void *user, char *err, size_t n_err)
{
    char *text = ini_slurp(path, what, err, n_err);
    if (!text) return -1;
    int rc = ini_read_text(text, path, flags, fn, user, err, n_err);
    free(text);
    return rc;
}
