/* core/json.c: streaming JSON writer (see json.h). */
#include <assert.h>
#include <math.h>

#include "core/json.h"
#include "core/text.h"

void json_init(Json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->count[0] = 0;
    j->after_key = 0;
}

/* Write the separator a new value needs at the current level. */
static void json_sep(Json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->count[j->depth]++ > 0) fputc(',', j->f);
}

static void json_open(Json *j, int c)
{
    json_sep(j);
    fputc(c, j->f);
    assert(j->depth + 1 < JSON_MAX_DEPTH);
    j->count[++j->depth] = 0;
}

static void json_close(Json *j, int c)
{
    assert(j->depth > 0);
    j->depth--;
    fputc(c, j->f);
    if (j->depth == 0) fputc('\n', j->f);
}

void json_object_begin(Json *j) { json_open(j, '{'); }

int json_text_begin(Json *j, char **text)
{
    *text = NULL;
    FILE *f = open_memstream(text, &j->text_len);
    if (!f) return -1;
    json_init(j, f);
    json_object_begin(j);
    return 0;
}

void json_text_end(Json *j)
{
    json_object_end(j);
    fclose(j->f);
    j->f = NULL;
}
void json_object_end(Json *j) { json_close(j, '}'); }
void json_array_begin(Json *j) { json_open(j, '['); }
void json_array_end(Json *j) { json_close(j, ']'); }

static void json_quoted(Json *j, const char *v)
{
    fputc('"', j->f);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", j->f); break;
        case '\\': fputs("\\\\", j->f); break;
        case '\n': fputs("\\n", j->f); break;
        case '\r': fputs("\\r", j->f); break;
        case '\t': fputs("\\t", j->f); break;
        default: {
            size_t n = text_utf8_seq(p);
            if (n) {
                fwrite(p, 1, n, j->f);
                p += n - 1;
            } else if (*p < 0x20 || *p == 0x7f) {
                fprintf(j->f, "\\u%04x", *p);
            } else {
                fputs("\\ufffd", j->f);   /* not UTF-8: the replacement character keeps the JSON valid */
            }
        }
        }
    }
    fputc('"', j->f);
}

void json_key(Json *j, const char *key)
{
    json_sep(j);
    json_quoted(j, key);
    fputc(':', j->f);
    j->after_key = 1;
}

void json_str(Json *j, const char *v)
{
    json_sep(j);
    if (v) json_quoted(j, v);
    else fputs("null", j->f);
}

void json_num(Json *j, double v)
{
    json_sep(j);
    if (isfinite(v)) fprintf(j->f, "%.17g", v);
    else fputs("null", j->f);
}

void json_int(Json *j, long long v)
{
    json_sep(j);
    fprintf(j->f, "%lld", v);
}

void json_bool(Json *j, int v)
{
    json_sep(j);
    fputs(v ? "true" : "false", j->f);
}

void json_null(Json *j)
{
    json_sep(j);
    fputs("null", j->f);
}

void json_kstr(Json *j, const char *key, const char *v) { json_key(j, key); json_str(j, v); }
void json_knum(Json *j, const char *key, double v) { json_key(j, key); json_num(j, v); }
void json_kint(Json *j, const char *key, long long v) { json_key(j, key); json_int(j, v); }

void json_knums(Json *j, const char *key, const double *v, int n)
{
    json_key(j, key);
    json_array_begin(j);
    for (int i = 0; i < n; i++) json_num(j, v[i]);
    json_array_end(j);
}
