/* store/store_internal.h: what the store's own files share (not for outside use).
**
** The Store struct, the prepared insert statements' slots, and the error
** and statement helpers. Only the store's .c files include it; it includes <sqlite3.h>.
*/
#ifndef METARL_STORE_INTERNAL_H
#define METARL_STORE_INTERNAL_H

#include <stdint.h>
#include <sqlite3.h>

#include "store/store.h"

enum {
    ST_EPISODE, ST_TRIAL, ST_ACTIVITY, ST_TRAINING, ST_STAGE, ST_STEPS, ST_TRIAL_CHUNK, ST_COUNT
};

/* Trials per statement of ST_TRIAL_CHUNK: one INSERT of this many rows costs
** SQLite's per-statement work (run, halt, reset) once instead of per trial
** (store/write.c). 14 columns x 64 rows = 896 parameters, under SQLite's
** oldest limit of 999. */
#define STORE_TRIAL_CHUNK 64
#define STORE_TRIAL_COLUMNS 14

typedef struct Checkpointer Checkpointer;   /* store/open.c */

struct Store {
    sqlite3 *db;
    char *path;
    StoreMode mode;
    sqlite3_stmt *st[ST_COUNT];
    float *blob;          /* scratch for activity rows */
    size_t blob_cap;
    unsigned char *packed;   /* scratch for sparse activity rows (store/rates.h) */
    size_t packed_cap;
    Checkpointer *ckpt;   /* NULL: SQLite's autocheckpoint (not WAL, or no thread) */
    int version;          /* the file's schema version (a read-only version-1 file has no stages) */
    int merge_src_stages; /* the file being merged in has a stages table */
    int merge_src_steps;  /* ... and an activity_steps table (version 4) */
    int lock_fd;          /* holds store_lock_run's locks; -1 if none */
    int runtime;          /* the last failure was the machine's (disk full, I/O, memory), not the input's */
    char err[512];
};

/* Set the store's message; return -1. */
int store_fail(Store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record the SQLite error of the connection, naming what failed; return -1.
** Disk full, I/O errors and out of memory also set s->runtime. */
int store_sql_fail(Store *s, const char *what);
/* The current UTC time as ISO 8601. */
void store_now_iso(char *buf, size_t n);
/* Run one statement with text/integer parameters given as a format:
** 't' text, 'i' int64, 'n' null. */
int store_exec_bound(Store *s, const char *what, const char *sql, const char *fmt, ...);
/* Step a prepared insert once, then reset it for the next row. */
int store_step_reset(Store *s, sqlite3_stmt *st, const char *what);
/* The first column of sql's first row as an int in *out (a PRAGMA's value); -1 if none. */
int store_pragma_int(sqlite3 *db, const char *sql, int *out);
/* Bind text or NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);

#endif
