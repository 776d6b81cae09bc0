/* core/json.h: a small streaming JSON writer for --json output.
**
** Keeps track of nesting and commas so callers write keys and values in
** order. Numbers are printed with %.17g (round-trip exact); NaN and Inf,
** which JSON lacks, are written as null.
*/
#ifndef METARL_JSON_H
#define METARL_JSON_H

#include <stdio.h>

#define JSON_MAX_DEPTH 16

typedef struct Json {
    FILE *f;
    int depth;
    int count[JSON_MAX_DEPTH];   /* items written at each level */
    int after_key;
    size_t text_len;             /* for json_text_begin */
} Json;

void json_init(Json *j, FILE *f);
/* Write a JSON object into a string instead of a stream:
**     Json j; char *text;
**     if (json_text_begin(&j, &text) == 0) { ...keys...; json_text_end(&j); }
** json_text_begin opens the object; json_text_end closes it and the stream,
** after which text holds the object (and a newline); the caller frees it.
** On failure (out of memory) text is NULL and nothing needs closing. */
int json_text_begin(Json *j, char **text);
void json_text_end(Json *j);
void json_object_begin(Json *j);
void json_object_end(Json *j);
void json_array_begin(Json *j);
void json_array_end(Json *j);
void json_key(Json *j, const char *key);
void json_str(Json *j, const char *v);   /* NULL -> null */
void json_num(Json *j, double v);
void json_int(Json *j, long long v);
void json_bool(Json *j, int v);
void json_null(Json *j);
/* Shorthands for "key": value inside an object. */
void json_kstr(Json *j, const char *key, const char *v);
void json_knum(Json *j, const char *key, double v);
void json_kint(Json *j, const char *key, long long v);
/* "key": [v0, v1, ...] */
void json_knums(Json *j, const char *key, const double *v, int n);

#endif
