/* analysis/import.c: behavioural choice data into episodes (see import.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/import.h"
#include "core/files.h"
#include "core/config.h"

#define MAX_FIELDS 256

void import_spec_hbayesdm(ImportSpec *s)
{
    *s = (ImportSpec){ '\t', "subjID", "trial", "choice", "outcome", NULL, NULL,
                       { "1", "2" }, { "1", "-1|0" }, NAN, NAN };
}

void import_spec_csv(ImportSpec *s)
{
    *s = (ImportSpec){ ',', "subject", "trial", "choice", "reward", NULL, NULL,
                       { "1", "2" }, { "1", "0" }, NAN, NAN };
}

typedef struct {
    char subject[64];
    TrialRecord *trials;
    int n, cap;
    long last_trial;
} Subject;

typedef struct {
    Subject *s;
    int n, cap;
} Subjects;

static void subjects_free(Subjects *ss)
{
    for (int i = 0; i < ss->n; i++) free(ss->s[i].trials);
    free(ss->s);
}

static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Does text equal one of the '|'-separated codes? */
static int code_is(const char *codes, const char *text)
{
    size_t n = strlen(text);
    for (const char *p = codes; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, text, n) == 0) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int is_missing(const char *text)
{
    return !*text || !strcmp(text, "NA") || !strcmp(text, "NaN") || !strcmp(text, "nan") || !strcmp(text, "NAN") ||
           !strcmp(text, "N/A");
}

/* Split line in place at delim, stripping surrounding blanks and double
** quotes; record each field's 1-based character column. */
static int split(char *line, char delim, char **field, int *col, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max) return -1;
        while (*p == ' ' || (delim != '\t' && *p == '\t')) p++;
        col[n] = (int)(p - line) + 1;
        char *start = p;
        if (*p == '"') {
            start = ++p;
            while (*p && *p != '"') p++;
            if (*p == '"') *p++ = '\0';
            while (*p && *p != delim) p++;
        } else {
            while (*p && *p != delim) p++;
        }
        char *end = p;
        int last = *p == '\0';
        *p = '\0';
        while (end > start && (end[-1] == ' ' || end[-1] == '\r' || (delim != '\t' && end[-1] == '\t'))) *--end = '\0';
        field[n++] = start;
        if (last) return n;
        p++;
    }
}

static int find_col(char **header, int n, const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(header[i], name)) return i;
    return -2;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int import_read(const char *path, const ImportSpec *spec, EpisodeRecord ***eps_out, int *n_out,
                char *err, size_t n_err)
{
    *eps_out = NULL;
    *n_out = 0;
    if (files_check_input(path, "the data file", err, n_err) != 0) return -1;
    FILE *f = fopen(path, "r");
    if (!f) return fail(err, n_err, "%s: cannot read (%s)", path, strerror(errno));
    int rc = import_stream(f, path, spec, eps_out, n_out, err, n_err);
    if (rc == 0 && ferror(f)) {
        import_free(*eps_out, *n_out);
        *eps_out = NULL;
        *n_out = 0;
        rc = fail(err, n_err, "%s: read error", path);
    }
    fclose(f);
    return rc;
}

int import_stream(FILE *f, const char *path, const ImportSpec *spec, EpisodeRecord ***eps_out, int *n_out,
                  char *err, size_t n_err)
{
    *eps_out = NULL;
    *n_out = 0;
    char *line = NULL, *header_line = NULL;
    size_t cap = 0;
    ssize_t len;
    char *header[MAX_FIELDS], *field[MAX_FIELDS];
    int hcol[MAX_FIELDS], fcol[MAX_FIELDS];
    int n_header = 0, lineno = 0, ret = -1;
    Subjects ss = { NULL, 0, 0 };
    EpisodeRecord **eps = NULL;
    int c_subject = -1, c_trial = -1, c_choice = -1, c_reward = -1, c_correct = -1, c_block = -1;

    /* header */
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len > 0 && strspn(line, " \t\r\n") != (size_t)len) break;
    }
    if (len < 0) {
        fail(err, n_err, "%s: empty file (expected a header line naming the columns)", path);
        goto done;
    }
    line[strcspn(line, "\n")] = '\0';
    header_line = strdup(line);
    if (!header_line) goto oom;
    n_header = split(header_line, spec->delimiter, header, hcol, MAX_FIELDS);
    if (n_header < 0) {
        fail(err, n_err, "%s:%d: more than %d columns", path, lineno, MAX_FIELDS);
        goto done;
    }
    for (int i = 0; i < n_header; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(header[i], header[j])) {
                fail(err, n_err, "%s:%d:%d: the header names column '%s' twice (fields %d and %d)", path, lineno,
                     hcol[i], header[i], j + 1, i + 1);
                goto done;
            }
    {
        const char *names[] = { spec->subject_col, spec->trial_col, spec->choice_col, spec->reward_col,
                                spec->correct_col, spec->block_col };
        int *cols[] = { &c_subject, &c_trial, &c_choice, &c_reward, &c_correct, &c_block };
        for (int k = 0; k < 6; k++) {
            *cols[k] = find_col(header, n_header, names[k]);
            if (*cols[k] == -2) {
                char list[512] = "";
                for (int i = 0; i < n_header && strlen(list) < 400; i++) {
                    if (i) strcat(list, ", ");
                    strncat(list, header[i], 60);
                }
                fail(err, n_err, "%s:%d: no column '%s' in the header (columns: %s%s)", path, lineno, names[k], list,
                     spec->delimiter == '\t' ? "; tab-separated expected" : "; comma-separated expected");
                goto done;
            }
        }
        if (c_subject < 0 || c_choice < 0 || c_reward < 0) {
            fail(err, n_err, "%s: subject, choice and reward columns are required", path);
            goto done;
        }
    }

    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (strspn(line, " \t\r") == strlen(line)) continue;   /* blank line */
        int line_len = (int)strlen(line);
        int n = split(line, spec->delimiter, field, fcol, MAX_FIELDS);
        if (n != n_header) {
            int col = n < 0 ? 1 : n > n_header ? fcol[n_header] : line_len + 1;
            fail(err, n_err, "%s:%d:%d: expected %d fields like the header, found %d", path, lineno, col, n_header,
                 n < 0 ? MAX_FIELDS : n);
            goto done;
        }
        const char *subj = field[c_subject];
        if (!*subj || strlen(subj) >= sizeof ss.s[0].subject || strpbrk(subj, "\"\\\t\r")) {
            fail(err, n_err, "%s:%d:%d: expected a subject id (1 to 63 characters, no quotes or backslashes), found '%s'", path, lineno,
                 fcol[c_subject], subj);
            goto done;
        }
        Subject *s = ss.n ? &ss.s[ss.n - 1] : NULL;
        if (!s || strcmp(s->subject, subj)) {
            for (int i = 0; i + 1 < ss.n; i++)
                if (!strcmp(ss.s[i].subject, subj)) {
                    fail(err, n_err, "%s:%d:%d: subject '%s' appears again after other subjects (rows must be "
                                     "grouped by subject)", path, lineno, fcol[c_subject], subj);
                    goto done;
                }
            if (ss.n == ss.cap) {
                int nc = ss.cap ? 2 * ss.cap : 16;
                Subject *p = realloc(ss.s, (size_t)nc * sizeof *p);
                if (!p) goto oom;
                ss.s = p;
                ss.cap = nc;
            }
            s = &ss.s[ss.n++];
            memset(s, 0, sizeof *s);
            snprintf(s->subject, sizeof s->subject, "%s", subj);
            s->last_trial = -2147483647L;
        }
        if (c_trial >= 0) {
            long tno;
            if (parse_long(field[c_trial], &tno) != 0) {
                fail(err, n_err, "%s:%d:%d: expected a trial number, found '%s'", path, lineno, fcol[c_trial],
                     field[c_trial]);
                goto done;
            }
            if (tno <= s->last_trial) {
                fail(err, n_err, "%s:%d:%d: trial %ld of subject '%s' does not follow trial %ld (rows must be "
                                 "in trial order)", path, lineno, fcol[c_trial], tno, subj, s->last_trial);
                goto done;
            }
            if (s->n > 0 && tno != s->last_trial + 1) {
                fail(err, n_err, "%s:%d:%d: trial %ld of subject '%s' follows trial %ld: %ld trials have no row "
                                 "(give each trial a row, a missed one with NA as its choice)", path, lineno,
                     fcol[c_trial], tno, subj, s->last_trial, tno - s->last_trial - 1);
                goto done;
            }
            s->last_trial = tno;
        }
        if (s->n == s->cap) {
            int nc = s->cap ? 2 * s->cap : 128;
            TrialRecord *p = realloc(s->trials, (size_t)nc * sizeof *p);
            if (!p) goto oom;
            s->trials = p;
            s->cap = nc;
        }
        TrialRecord *tr = &s->trials[s->n];
        memset(tr, 0, sizeof *tr);
        tr->truth = (TaskTruth){ { NAN, NAN }, -1, -1, -1, -1 };
        tr->probs[0] = tr->probs[1] = tr->value = tr->rpe = NAN;
        const char *ch = field[c_choice];
        if (is_missing(ch)) {
            tr->action = -1;
            tr->reward = NAN;
        } else {
            if (code_is(spec->choice_codes[0], ch)) tr->action = 0;
            else if (code_is(spec->choice_codes[1], ch)) tr->action = 1;
            else {
                fail(err, n_err, "%s:%d:%d: expected a choice %s or %s (or NA for a missed trial), found '%s'", path,
                     lineno, fcol[c_choice], spec->choice_codes[0], spec->choice_codes[1], ch);
                goto done;
            }
            const char *rw = field[c_reward];
            if (code_is(spec->reward_codes[0], rw)) tr->reward = 1.0;
            else if (code_is(spec->reward_codes[1], rw)) tr->reward = 0.0;
            else {
                fail(err, n_err, "%s:%d:%d: expected an outcome %s (reward) or %s (none), found '%s'", path, lineno,
                     fcol[c_reward], spec->reward_codes[0], spec->reward_codes[1], rw);
                goto done;
            }
        }
        if (c_correct >= 0) {
            const char *co = field[c_correct];
            if (code_is(spec->choice_codes[0], co)) tr->truth.best = 0;
            else if (code_is(spec->choice_codes[1], co)) tr->truth.best = 1;
            else if (!is_missing(co)) {
                fail(err, n_err, "%s:%d:%d: expected the correct option %s or %s, found '%s'", path, lineno,
                     fcol[c_correct], spec->choice_codes[0], spec->choice_codes[1], co);
                goto done;
            }
        }
        if (c_block >= 0) {
            long b;
            if (parse_long(field[c_block], &b) != 0 || b < 0) {
                fail(err, n_err, "%s:%d:%d: expected a block number (0, 1, ...), found '%s'", path, lineno,
                     fcol[c_block], field[c_block]);
                goto done;
            }
            tr->truth.block = (int)b;
        }
        s->n++;
    }

    /* Derive blocks from changes of the correct option, and the known
    ** probabilities, then build the records. */
    eps = calloc((size_t)(ss.n ? ss.n : 1), sizeof *eps);
    if (!eps) goto oom;
    for (int i = 0; i < ss.n; i++) {
        Subject *s = &ss.s[i];
        int block = 0, since = 0, first_block = s->n ? s->trials[0].truth.block : 0;
        for (int t = 0; t < s->n; t++) {
            TaskTruth *tt = &s->trials[t].truth;
            if (c_block >= 0) {
                if (t > 0 && tt->block != s->trials[t - 1].truth.block) since = 0;
                tt->block -= first_block;
            } else if (c_correct >= 0) {
                if (t > 0 && tt->best >= 0 && s->trials[t - 1].truth.best >= 0 && tt->best != s->trials[t - 1].truth.best) {
                    block++;
                    since = 0;
                }
                tt->block = block;
            }
            if (c_block >= 0 || c_correct >= 0) tt->since_reversal = since++;
            if (tt->best >= 0 && !isnan(spec->p_high) && !isnan(spec->p_low)) {
                tt->p[tt->best] = spec->p_high;
                tt->p[1 - tt->best] = spec->p_low;
            }
        }
        EpisodeRecord *e = episode_alloc(s->n > 0 ? s->n : 1, 0);
        if (!e) goto oom;
        eps[i] = e;
        memcpy(e->trials, s->trials, (size_t)s->n * sizeof *s->trials);
        e->n_trials = s->n;
        snprintf(e->subject, sizeof e->subject, "%s", s->subject);
        snprintf(e->instance, sizeof e->instance, "{\"source\":\"%.200s\",\"subject\":\"%s\"}", base_name(path),
                 s->subject);
        episode_summarize(e);
    }
    if (ss.n == 0) {
        fail(err, n_err, "%s: no data rows after the header", path);
        goto done;
    }
    *eps_out = eps;
    *n_out = ss.n;
    eps = NULL;
    ret = 0;
    goto done;
oom:
    fail(err, n_err, "%s: out of memory", path);
done:
    if (eps) import_free(eps, ss.n);
    subjects_free(&ss);
    free(line);
    free(header_line);
    return ret;
}

void import_free(EpisodeRecord **eps, int n)
{
    if (!eps) return;
    for (int i = 0; i < n; i++) episode_free(eps[i]);
    free(eps);
}

/* ---- the hBayesDM two-step layout (import_read_twostep) ---- */

#define TS_MAX_TRIAL 100000L

typedef struct {
    long trial;      /* the file's trial number (>= 1) */
    int a1, l2;      /* level1_choice - 1 (0/1, -1 missed), level2_choice (1..4, 0 if missed) */
    double reward;   /* 1/0, NaN if missed */
} TsRow;

typedef struct {
    char subject[64];
    TsRow *rows;
    int n, cap;
} TsSubject;

typedef struct {
    TsSubject *s;
    int n, cap;
} TsSubjects;

static void ts_subjects_free(TsSubjects *ss)
{
    for (int i = 0; i < ss->n; i++) free(ss->s[i].rows);
    free(ss->s);
}

enum { TS_SUBJ, TS_TRIAL, TS_L1, TS_L2, TS_REW, TS_NCOL };

/* One data line's fields into row; 0, or -1 with the message in err. */
static int ts_parse_row(char **field, const int *fcol, const int *c, const char *path, int lineno, TsRow *row,
                        char *err, size_t n_err)
{
    long v;
    if (parse_long(field[c[TS_TRIAL]], &v) != 0 || v < 1 || v > TS_MAX_TRIAL)
        return fail(err, n_err, "%s:%d:%d: expected a trial number (1 to %ld), found '%s'", path, lineno,
                    fcol[c[TS_TRIAL]], TS_MAX_TRIAL, field[c[TS_TRIAL]]);
    row->trial = v;
    const char *l1 = field[c[TS_L1]], *l2 = field[c[TS_L2]], *rw = field[c[TS_REW]];
    if (is_missing(l1)) {
        row->a1 = -1;
        row->l2 = 0;
        row->reward = NAN;
        return 0;
    }
    if (strcmp(l1, "1") && strcmp(l1, "2"))
        return fail(err, n_err, "%s:%d:%d: expected level1_choice 1 or 2 (or NA for a missed trial), found '%s'", path,
                    lineno, fcol[c[TS_L1]], l1);
    row->a1 = l1[0] - '1';
    if (parse_long(l2, &v) != 0 || v < 1 || v > 4)
        return fail(err, n_err, "%s:%d:%d: expected level2_choice 1 to 4 (1, 2 in the state A1 leads to commonly; "
                                "3, 4 in A2's), found '%s'", path, lineno, fcol[c[TS_L2]], l2);
    row->l2 = (int)v;
    if (!strcmp(rw, "1")) row->reward = 1.0;
    else if (!strcmp(rw, "0")) row->reward = 0.0;
    else return fail(err, n_err, "%s:%d:%d: expected a reward 1 or 0, found '%s'", path, lineno, fcol[c[TS_REW]], rw);
    return 0;
}

/* The record of one subject (trials 1..last, gaps as missed trials); NULL if out of memory. */
static EpisodeRecord *ts_episode(const TsSubject *s, const char *path)
{
    int T = (int)s->rows[s->n - 1].trial;
    EpisodeRecord *e = episode_alloc_stages(T, 2, 0);
    if (!e) return NULL;
    for (int t = 0; t < T; t++) {
        TrialRecord *tr = &e->trials[t];
        memset(tr, 0, sizeof *tr);
        tr->truth = (TaskTruth){ { NAN, NAN }, -1, -1, -1, 0 };
        tr->probs[0] = tr->probs[1] = tr->value = tr->rpe = NAN;
        tr->action = -1;
        tr->reward = NAN;
    }
    e->n_trials = T;
    for (int i = 0; i < s->n; i++) {
        const TsRow *r = &s->rows[i];
        int t = (int)r->trial - 1;
        if (r->a1 < 0) continue;
        e->trials[t].action = r->a1;
        e->trials[t].reward = r->reward;
        StageRecord g0 = { t, 0, 0, r->a1, 0.0, NAN, NAN };
        StageRecord g1 = { t, 1, r->l2 <= 2 ? 1 : 2, (r->l2 - 1) % 2, r->reward, NAN, NAN };
        episode_add_stage(e, &g0);
        episode_add_stage(e, &g1);
    }
    snprintf(e->subject, sizeof e->subject, "%s", s->subject);
    snprintf(e->instance, sizeof e->instance, "{\"source\":\"%.200s\",\"subject\":\"%s\"}", base_name(path),
             s->subject);
    episode_summarize(e);
    return e;
}

/* The header's columns into c (TS_NCOL); 0, or -1 with the message in err. */
static int ts_header(char **header, int n_header, const char *path, int lineno, int *c, char *err, size_t n_err)
{
    static const char *const names[TS_NCOL] = { "subjID", "trial", "level1_choice", "level2_choice", "reward" };
    for (int k = 0; k < TS_NCOL; k++)
        if ((c[k] = find_col(header, n_header, names[k])) < 0)
            return fail(err, n_err, "%s:%d: no column '%s' in the header (the hBayesDM two-step layout is "
                                    "tab-separated: subjID trial level1_choice level2_choice reward)", path, lineno,
                        names[k]);
    return 0;
}

/* The subject that row lines of subj go to (a new one at the end if subj
** changes); NULL with the message in err. */
static TsSubject *ts_subject(TsSubjects *ss, const char *subj, const char *path, int lineno, int col, char *err,
                             size_t n_err)
{
    TsSubject *s = ss->n ? &ss->s[ss->n - 1] : NULL;
    if (s && !strcmp(s->subject, subj)) return s;
    if (!*subj || strlen(subj) >= sizeof s->subject || strpbrk(subj, "\"\\\t\r")) {
        fail(err, n_err, "%s:%d:%d: expected a subject id (1 to 63 characters, no quotes or backslashes), found '%s'",
             path, lineno, col, subj);
        return NULL;
    }
    for (int i = 0; i < ss->n; i++)
        if (!strcmp(ss->s[i].subject, subj)) {
            fail(err, n_err, "%s:%d:%d: subject '%s' appears again after other subjects (rows must be grouped by "
                             "subject)", path, lineno, col, subj);
            return NULL;
        }
    if (ss->n == ss->cap) {
        int nc = ss->cap ? 2 * ss->cap : 16;
        TsSubject *p = realloc(ss->s, (size_t)nc * sizeof *p);
        if (!p) {
            fail(err, n_err, "%s: out of memory", path);
            return NULL;
        }
        ss->s = p;
        ss->cap = nc;
    }
    s = &ss->s[ss->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->subject, sizeof s->subject, "%s", subj);
    return s;
}

int import_stream_twostep(FILE *f, const char *path, EpisodeRecord ***eps_out, int *n_out, char *err, size_t n_err)
{
    *eps_out = NULL;
    *n_out = 0;
    char *line = NULL, *header_line = NULL, *header[MAX_FIELDS], *field[MAX_FIELDS];
    size_t cap = 0;
    ssize_t len;
    int hcol[MAX_FIELDS], fcol[MAX_FIELDS], c[TS_NCOL], n_header = 0, lineno = 0, ret = -1;
    TsSubjects ss = { NULL, 0, 0 };
    EpisodeRecord **eps = NULL;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len > 0 && strspn(line, " \t\r\n") != (size_t)len) break;
    }
    if (len < 0) {
        fail(err, n_err, "%s: empty file (expected a header line naming the columns)", path);
        goto done;
    }
    line[strcspn(line, "\n")] = '\0';
    if (!(header_line = strdup(line))) goto oom;
    n_header = split(header_line, '\t', header, hcol, MAX_FIELDS);
    if (n_header < 0) {
        fail(err, n_err, "%s:%d: more than %d columns", path, lineno, MAX_FIELDS);
        goto done;
    }
    if (ts_header(header, n_header, path, lineno, c, err, n_err) != 0) goto done;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (strspn(line, " \t\r") == strlen(line)) continue;
        int n = split(line, '\t', field, fcol, MAX_FIELDS);
        if (n != n_header) {
            fail(err, n_err, "%s:%d: expected %d tab-separated fields like the header, found %d", path, lineno,
                 n_header, n < 0 ? MAX_FIELDS : n);
            goto done;
        }
        TsSubject *s = ts_subject(&ss, field[c[TS_SUBJ]], path, lineno, fcol[c[TS_SUBJ]], err, n_err);
        if (!s) goto done;
        TsRow row;
        if (ts_parse_row(field, fcol, c, path, lineno, &row, err, n_err) != 0) goto done;
        if (s->n > 0 && row.trial <= s->rows[s->n - 1].trial) {
            fail(err, n_err, "%s:%d:%d: trial %ld of subject '%s' does not follow trial %ld (rows must be in trial "
                             "order)", path, lineno, fcol[c[TS_TRIAL]], row.trial, s->subject, s->rows[s->n - 1].trial);
            goto done;
        }
        if (s->n == s->cap) {
            int nc = s->cap ? 2 * s->cap : 128;
            TsRow *p = realloc(s->rows, (size_t)nc * sizeof *p);
            if (!p) goto oom;
            s->rows = p;
            s->cap = nc;
        }
        s->rows[s->n++] = row;
    }
    if (ss.n == 0) {
        fail(err, n_err, "%s: no data rows after the header", path);
        goto done;
    }
    if (!(eps = calloc((size_t)ss.n, sizeof *eps))) goto oom;
    for (int i = 0; i < ss.n; i++)
        if (!(eps[i] = ts_episode(&ss.s[i], path))) goto oom;
    *eps_out = eps;
    *n_out = ss.n;
    eps = NULL;
    ret = 0;
    goto done;
oom:
    fail(err, n_err, "%s: out of memory", path);
done:
    if (eps) import_free(eps, ss.n);
    ts_subjects_free(&ss);
    free(line);
    free(header_line);
    return ret;
}

int import_read_twostep(const char *path, EpisodeRecord ***eps_out, int *n_out, char *err, size_t n_err)
{
    *eps_out = NULL;
    *n_out = 0;
    if (files_check_input(path, "the data file", err, n_err) != 0) return -1;
    FILE *f = fopen(path, "r");
    if (!f) return fail(err, n_err, "%s: cannot read (%s)", path, strerror(errno));
    int rc = import_stream_twostep(f, path, eps_out, n_out, err, n_err);
    if (rc == 0 && ferror(f)) {
        import_free(*eps_out, *n_out);
        *eps_out = NULL;
        *n_out = 0;
        rc = fail(err, n_err, "%s: read error", path);
    }
    fclose(f);
    return rc;
}

int import_is_twostep(const char *path)
{
    char err[512];
    if (files_check_input(path, "the data file", err, sizeof err) != 0) return 0;   /* no FIFO, no device */
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[4096];
    int found = 0;
    for (int k = 0; k < 64 && fgets(line, sizeof line, f); k++)   /* a few lines at most: a header comes first */
        if (strspn(line, " \t\r\n") != strlen(line)) {
            char *h[MAX_FIELDS];
            int col[MAX_FIELDS];
            line[strcspn(line, "\n")] = '\0';
            int n = split(line, '\t', h, col, MAX_FIELDS);
            found = n > 0 && find_col(h, n, "level1_choice") >= 0 && find_col(h, n, "level2_choice") >= 0;
            break;
        }
    fclose(f);
    return found;
}
