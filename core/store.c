/* core/store.c: the SQLite store (see store.h and data/schema.sql).
**
** Opening is careful, because users point metarl at files that may be
** anything: the file is first opened read-only and identified (an SQLite
** database? our application id? a schema we know?) before anything is
** written. A store that does not exist yet is created, and if creating it
** fails, the half-made file is removed again.
*/
#define _GNU_SOURCE   /* F_OFD_SETLK (Linux), for store_lock_run */
#include <assert.h>
#include <fcntl.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/store.h"
#include "core/text.h"
#include "core/thread.h"

extern const char store_schema_sql[];   /* data/schema.sql, compiled in by the Makefile */

enum {
    ST_EPISODE, ST_TRIAL, ST_ACTIVITY, ST_TRAINING, ST_STAGE, ST_COUNT
};

static const char *const insert_sql[ST_COUNT] = {
    "INSERT INTO episodes (run_id, episode, phase, subject, n_trials, total_reward, regret, instance)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT INTO trials (run_id, episode, t, action, reward, p0, p1, best, block, since_reversal,"
    " prob0, prob1, value, rpe) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    "INSERT INTO activity (run_id, episode, module, n_trials, n_units, rates) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "INSERT INTO training (run_id, episode, reward, regret, p_best, loss_policy, loss_value, entropy,"
    " grad_norm, beta_e, wall_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    "INSERT INTO stages (run_id, episode, t, stage, state, action, reward, value, rpe)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

/* The WAL checkpointer: a thread with its own connection that copies
** committed WAL frames into the database file (and syncs both) while the
** writer goes on. SQLite's own autocheckpoint would do that copy inside the
** writer's COMMIT; for a test run storing every trial's unit rates, the
** copy and its syncs are most of the cost of writing. A PASSIVE checkpoint
** never blocks the writer, and a failed one (busy, disk full) is simply
** redone later. The WAL can only start over from its beginning when it has
** been copied up to its last frame as a transaction begins, so once it
** holds STORE_WAL_LIMIT pages the writer waits for the thread and copies
** the rest itself: the WAL stays bounded. The last copy happens when the
** writer's connection closes. */
typedef struct Checkpointer {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake, idle;
    int pending, busy, quit;
    int wal_pages;        /* after the writer's last commit (writer's thread only) */
} Checkpointer;

#define STORE_CHECKPOINT_PAGES 1000   /* wake the thread (SQLite's autocheckpoint default) */
#define STORE_WAL_LIMIT 16000         /* 64 MB of 4 KiB pages: the writer drains the WAL */

struct Store {
    sqlite3 *db;
    char *path;
    StoreMode mode;
    sqlite3_stmt *st[ST_COUNT];
    float *blob;          /* scratch for activity rows */
    size_t blob_cap;
    Checkpointer *ckpt;   /* NULL: SQLite's autocheckpoint (not WAL, or no thread) */
    int version;          /* the file's schema version (a read-only version-1 file has no stages) */
    int merge_src_stages; /* the file being merged in has a stages table */
    int lock_fd;          /* holds store_lock_run's locks; -1 if none */
    char err[512];
};

static void checkpointer_start(Store *s);
static int create_schema(Store *s);
static int check_wal(Store *s);

static int store_fail(Store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Record the SQLite error of the connection, naming what failed. */
static int sql_fail(Store *s, const char *what)
{
    int code = sqlite3_extended_errcode(s->db);
    int sys = sqlite3_system_errno(s->db);
    const char *msg = sqlite3_errmsg(s->db);
    if ((code & 0xff) == SQLITE_IOERR && (sys == ENOSPC || sys == EFBIG))
        return store_fail(s, "%s: %s: disk full (%s)", s->path, what, strerror(sys));
    /* SQLite does not always keep errno of a failed write: say what it most
    ** likely is. */
    if (code == SQLITE_IOERR_WRITE || code == SQLITE_IOERR_FSYNC || code == SQLITE_IOERR_TRUNCATE)
        return store_fail(s, "%s: %s: write failed: disk full or a file-size limit reached? (%s)", s->path, what, msg);
    if ((code & 0xff) == SQLITE_FULL)
        return store_fail(s, "%s: %s: disk full (%s)", s->path, what, msg);
    if ((code & 0xff) == SQLITE_READONLY)
        return store_fail(s, "%s: %s: the file is read-only (%s)", s->path, what, msg);
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
        return store_fail(s, "%s: %s: the database is locked by another writer (%s)", s->path, what, msg);
    return store_fail(s, "%s: %s: %s", s->path, what, msg);
}

const char *store_errmsg(const Store *s) { return s->err; }
const char *store_path(const Store *s) { return s->path; }

static void now_iso(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- opening ------------------------------------------------------------ */

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Identify an existing file: 0 = our store of a known version, 1 = an empty
** database (safe to initialise), -1 = refuse (message in s->err). */
static int identify(Store *s)
{
    int app = 0, version = 0, n_tables = 0;
    s->version = STORE_SCHEMA_VERSION;
    if (pragma_int(s->db, "PRAGMA application_id", &app) != 0) {
        int code = sqlite3_errcode(s->db);
        if (code == SQLITE_NOTADB)
            return store_fail(s, "%s: not a metarl database (not an SQLite file at all)", s->path);
        return sql_fail(s, "cannot read the file");
    }
    if (pragma_int(s->db, "PRAGMA user_version", &version) != 0 ||
        pragma_int(s->db, "SELECT count(*) FROM sqlite_schema", &n_tables) != 0)
        return sql_fail(s, "cannot read the schema");
    if (app == 0 && n_tables == 0 && version == 0) return 1;
    if (app != STORE_APPLICATION_ID)
        return store_fail(s, "%s: not a metarl database (an SQLite file of another application: "
                             "application_id %d, %d schema objects)", s->path, app, n_tables);
    if (version > STORE_SCHEMA_VERSION)
        return store_fail(s, "%s: store schema version %d is newer than this metarl reads (up to %d); "
                             "use a newer metarl", s->path, version, STORE_SCHEMA_VERSION);
    if (version < 1)
        return store_fail(s, "%s: metarl store without a schema version (damaged?)", s->path);
    /* A quick structural look: the tables we rely on must be there. */
    int n_ours = 0;
    if (pragma_int(s->db, "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name IN "
                          "('runs','episodes','trials','activity','training','checkpoints')", &n_ours) != 0)
        return sql_fail(s, "cannot read the schema");
    if (n_ours != 6)
        return store_fail(s, "%s: damaged metarl database (%d of its 6 tables present)", s->path, n_ours);
    s->version = version;
    return check_wal(s);
}

/* The store_id of db, or "" if it has none (a version-1 file). */
static void read_store_id(sqlite3 *db, char *id, size_t n)
{
    sqlite3_stmt *st = NULL;
    id[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'store_id'", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(id, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* A -wal file beside the store is replayed by SQLite whatever file it came
** from. Compare the store_id seen through it with the one in the main file
** alone (an immutable open reads no WAL); on a mismatch, refuse, and close
** without the checkpoint that would copy the foreign pages into the file. */
static int check_wal(Store *s)
{
    char wal[4200], uri[8600], seen[64], own[64];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (stat(wal, &st) != 0 || st.st_size == 0) return 0;
    size_t u = (size_t)snprintf(uri, sizeof uri, "file:");
    for (const char *p = s->path; *p && u + 4 < sizeof uri; p++)
        u += (size_t)(strchr("%?#", *p) ? snprintf(uri + u, sizeof uri - u, "%%%02X", (unsigned char)*p)
                                         : snprintf(uri + u, sizeof uri - u, "%c", *p));
    snprintf(uri + u, sizeof uri - u, "?immutable=1");
    sqlite3 *raw = NULL;
    own[0] = '\0';
    if (sqlite3_open_v2(uri, &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK)
        read_store_id(raw, own, sizeof own);
    sqlite3_close(raw);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    read_store_id(s->db, seen, sizeof seen);
    if (own[0] && seen[0] && strcmp(own, seen) != 0)
        return store_fail(s, "%s: the file %s beside it belongs to another store (store id %.8s..., this "
                             "file's is %.8s...); move it away to open this store as it is", s->path, wal, seen, own);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
    return 0;
}

/* Bring a version-1 file to version 2 (the stages table) before writing to
** it; the schema text creates only what is missing. */
static int upgrade_schema(Store *s)
{
    if (s->version >= STORE_SCHEMA_VERSION) return 0;
    if (create_schema(s) != 0) return -1;
    s->version = STORE_SCHEMA_VERSION;
    return 0;
}

static int create_schema(Store *s)
{
    char sql[128];
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return sql_fail(s, "create schema");
    if (sqlite3_exec(s->db, store_schema_sql, NULL, NULL, NULL) != SQLITE_OK) goto fail;
    if (sqlite3_exec(s->db, "INSERT OR IGNORE INTO meta VALUES ('store_id', lower(hex(randomblob(16))));"
                            "INSERT OR IGNORE INTO meta VALUES ('transactions', '0')",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             STORE_APPLICATION_ID, STORE_SCHEMA_VERSION);
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) goto fail;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    return 0;
fail:
    sql_fail(s, "create schema");
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

Store *store_open(const char *path, StoreMode mode, char *err, size_t n_err)
{
    Store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, n_err, "%s: out of memory", path);
        return NULL;
    }
    s->mode = mode;
    s->lock_fd = -1;
    s->path = strdup(path);
    struct stat sb;
    int existed = stat(path, &sb) == 0;
    int created = 0;
    if (!s->path) goto fail_msg;
    if (existed && !S_ISREG(sb.st_mode)) {
        store_fail(s, "%s: not a regular file", path);
        goto fail_msg;
    }
    if (!existed && mode == STORE_READ) {
        store_fail(s, "%s: no such file", path);
        goto fail_msg;
    }
    if (existed && access(path, R_OK) != 0) {
        store_fail(s, "%s: cannot read (%s)", path, strerror(errno));
        goto fail_msg;
    }
    if (existed && mode == STORE_WRITE && access(path, W_OK) != 0) {
        store_fail(s, "%s: the file is read-only (%s)", path, strerror(errno));
        goto fail_msg;
    }
    /* Readers open read-write when they may (and never write): the last
    ** connection to close then removes SQLite's -wal and -shm side files,
    ** which a read-only connection would leave behind. */
    int flags = mode == STORE_READ && access(path, W_OK) != 0 ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (!existed) flags |= SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;   /* a Store belongs to one thread */
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        store_fail(s, "%s: cannot open: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail_msg;
    }
    created = !existed;
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    int kind = identify(s);
    if (kind < 0) goto fail_msg;
    if (kind == 1) {
        if (mode == STORE_READ) {
            store_fail(s, "%s: an empty database, not a metarl store", path);
            goto fail_msg;
        }
        if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
            sql_fail(s, "set WAL mode");
            goto fail_msg;
        }
        if (create_schema(s) != 0) goto fail_msg;
        /* put the store_id into the main file, where check_wal looks for it */
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }
    if (mode == STORE_WRITE) {
        /* NORMAL is safe in WAL mode: a killed process loses no committed
        ** transaction; only a power cut can lose the last few. */
        if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
                         NULL, NULL, NULL) != SQLITE_OK) {
            sql_fail(s, "configure");
            goto fail_msg;
        }
        if (upgrade_schema(s) != 0) goto fail_msg;
        for (int i = 0; i < ST_COUNT; i++)
            if (sqlite3_prepare_v3(s->db, insert_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
                sql_fail(s, "prepare");
                goto fail_msg;
            }
        checkpointer_start(s);
    }
    return s;
fail_msg:
    snprintf(err, n_err, "%s", s->err[0] ? s->err : "out of memory");
    store_close(s);
    if (created) {   /* leave no half-made file behind */
        char side[4096];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
    return NULL;
}

static void *checkpointer_main(void *arg)
{
    Checkpointer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->pending && !c->quit) pthread_cond_wait(&c->wake, &c->mu);
        if (c->quit) break;
        c->pending = 0;
        c->busy = 1;
        pthread_mutex_unlock(&c->mu);
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
        c->busy = 0;
        pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* sqlite3_wal_hook: called on the writer's thread after each commit. */
static int checkpointer_wake(void *arg, sqlite3 *db, const char *name, int wal_pages)
{
    (void)db;
    (void)name;
    Checkpointer *c = arg;
    c->wal_pages = wal_pages;
    if (wal_pages >= STORE_CHECKPOINT_PAGES) {
        pthread_mutex_lock(&c->mu);
        c->pending = 1;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

/* Before a transaction: if the WAL has grown to the limit, wait for the
** thread and checkpoint the rest, so that the transaction restarts the WAL. */
static void checkpointer_drain(Store *s)
{
    Checkpointer *c = s->ckpt;
    if (!c || c->wal_pages < STORE_WAL_LIMIT) return;
    pthread_mutex_lock(&c->mu);
    while (c->pending || c->busy) pthread_cond_wait(&c->idle, &c->mu);
    pthread_mutex_unlock(&c->mu);
    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    c->wal_pages = 0;
}

static void checkpointer_stop(Store *s)
{
    Checkpointer *c = s->ckpt;
    if (!c) return;
    sqlite3_wal_hook(s->db, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->quit = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    thread_sync_destroy(&c->mu, &c->wake, &c->idle);
    sqlite3_close(c->db);
    free(c);
    s->ckpt = NULL;
}

/* Start the checkpointer for a writer on a WAL file; on any failure keep
** SQLite's autocheckpoint, which is slower but equally safe. */
static void checkpointer_start(Store *s)
{
    sqlite3_stmt *q = NULL;
    int wal = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK
              && sqlite3_step(q) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "wal") == 0;
    sqlite3_finalize(q);
    Checkpointer *c = wal ? calloc(1, sizeof *c) : NULL;
    if (!c) return;
    /* a new connection learns that the file is in WAL mode only by reading it */
    if (sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK
        || sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK
        || thread_sync_init(&c->mu, &c->wake, &c->idle) != 0)
        goto fail;
    sqlite3_busy_timeout(c->db, 1000);
    if (thread_start_quiet(&c->thread, checkpointer_main, c) != 0) {
        thread_sync_destroy(&c->mu, &c->wake, &c->idle);
        goto fail;
    }
    s->ckpt = c;
    sqlite3_wal_hook(s->db, checkpointer_wake, c);   /* replaces the autocheckpoint */
    return;
fail:
    sqlite3_close(c->db);
    free(c);
}

void store_close(Store *s)
{
    if (!s) return;
    checkpointer_stop(s);
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->st[i]);
    if (s->db) {
        if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(s->db);
    }
    if (s->lock_fd >= 0) close(s->lock_fd);
    free(s->blob);
    free(s->path);
    free(s);
}

/* Run locks sit at 2^40 + run_id: beyond SQLite's lock bytes (at 2^30) and
** beyond any file this store writes, so neither SQLite nor a reader sees them. */
#define STORE_RUN_LOCK_BASE ((off_t)1 << 40)

int store_lock_run(Store *s, int64_t run_id)
{
    if (s->lock_fd < 0 && (s->lock_fd = open(s->path, O_RDWR | O_CLOEXEC)) < 0)
        return store_fail(s, "%s: cannot lock run %lld (%s)", s->path, (long long)run_id, strerror(errno));
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = STORE_RUN_LOCK_BASE + run_id, .l_len = 1 };
    if (fcntl(s->lock_fd, F_OFD_SETLK, &fl) == 0) return 0;
    if (errno == EAGAIN || errno == EACCES)
        return store_fail(s, "%s: run %lld is being trained by another process right now; wait for it to end "
                             "(or stop it) before resuming", s->path, (long long)run_id);
    return store_fail(s, "%s: cannot lock run %lld (%s)", s->path, (long long)run_id, strerror(errno));
}

/* ---- transactions ------------------------------------------------------- */

int store_begin(Store *s)
{
    checkpointer_drain(s);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return sql_fail(s, "begin");
    /* Change the store_id's page in every transaction (SQLite skips a write
    ** that changes nothing), so that every WAL that metarl writes carries the
    ** id and check_wal can tell whose WAL it is. */
    if (s->version >= 2 &&
        sqlite3_exec(s->db, "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
                            " WHERE key = 'transactions'", NULL, NULL, NULL) != SQLITE_OK) {
        sql_fail(s, "begin");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int store_commit(Store *s)
{
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sql_fail(s, "commit");
        if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

void store_rollback(Store *s)
{
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- runs --------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

/* Run one statement with text/integer parameters given as a format:
** 't' text, 'i' int64, 'n' null. */
static int exec_bound(Store *s, const char *what, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_fail(s, what);
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 't') bind_text(st, i + 1, va_arg(ap, const char *));
        else if (fmt[i] == 'i') sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        else sqlite3_bind_null(st, i + 1);
    }
    va_end(ap);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return sql_fail(s, what);
    return 0;
}

int store_run_create(Store *s, const RunRow *row, int64_t *run_id)
{
    char why[256];
    if (text_check_label(row->name, "run name", why, sizeof why) != 0) return store_fail(s, "%s", why);
    char now[32];
    now_iso(now, sizeof now);
    sqlite3_stmt *st;
    const char *sql = "INSERT INTO runs (kind, name, parent_run, task, agent, config, seed, rng, version,"
                      " started, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running')";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_fail(s, "create run");
    bind_text(st, 1, row->kind);
    bind_text(st, 2, row->name);
    if (row->parent_run > 0) sqlite3_bind_int64(st, 3, row->parent_run);
    else sqlite3_bind_null(st, 3);
    bind_text(st, 4, row->task);
    bind_text(st, 5, row->agent);
    bind_text(st, 6, row->config);
    sqlite3_bind_int64(st, 7, row->seed);
    bind_text(st, 8, row->rng);
    bind_text(st, 9, row->version);
    bind_text(st, 10, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(s, "create run");
    *run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_run_finish(Store *s, int64_t run_id, const char *status, const char *summary)
{
    char now[32];
    now_iso(now, sizeof now);
    return exec_bound(s, "finish run", "UPDATE runs SET status = ?1, finished = ?2, summary = ?3 WHERE run_id = ?4",
                      "ttti", status, now, summary, run_id);
}

int store_run_reopen(Store *s, int64_t run_id)
{
    return exec_bound(s, "reopen run", "UPDATE runs SET status = 'running', finished = NULL WHERE run_id = ?1",
                      "i", run_id);
}

/* ---- episodes ----------------------------------------------------------- */

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v)) sqlite3_bind_null(st, i);
    else sqlite3_bind_double(st, i, v);
}

static void bind_int_or_null(sqlite3_stmt *st, int i, int v)
{
    if (v < 0) sqlite3_bind_null(st, i);
    else sqlite3_bind_int(st, i, v);
}

static int step_reset(Store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return sql_fail(s, what);
    return 0;
}

static int put_activity(Store *s, int64_t run_id, int64_t episode, const EpisodeRecord *e,
                        const char *module, int first, int count)
{
    size_t n = (size_t)e->n_trials * (size_t)count;
    if (n == 0) return 0;
    if (n > s->blob_cap) {
        float *p = realloc(s->blob, n * sizeof *p);
        if (!p) return store_fail(s, "%s: out of memory writing activity", s->path);
        s->blob = p;
        s->blob_cap = n;
    }
    for (int t = 0; t < e->n_trials; t++)
        memcpy(s->blob + (size_t)t * count, e->activity + (size_t)t * e->n_units + first,
               (size_t)count * sizeof(float));
    /* float32 little-endian on disk; this machine is little-endian (asserted
    ** at build time below), so the bytes are copied as they are. */
    sqlite3_stmt *st = s->st[ST_ACTIVITY];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    sqlite3_bind_text(st, 3, module, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, e->n_trials);
    sqlite3_bind_int(st, 5, count);
    sqlite3_bind_blob(st, 6, s->blob, (int)(n * sizeof(float)), SQLITE_STATIC);
    return step_reset(s, st, "write activity");
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the store writes activity as little-endian float32; add byte swapping for this machine"
#endif

int store_put_episode(Store *s, int64_t run_id, int64_t episode, const char *phase,
                      const EpisodeRecord *e, int with_activity)
{
    assert(s->mode == STORE_WRITE);
    sqlite3_stmt *st = s->st[ST_EPISODE];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    sqlite3_bind_text(st, 3, phase, -1, SQLITE_STATIC);
    bind_text(st, 4, e->subject[0] ? e->subject : NULL);
    sqlite3_bind_int(st, 5, e->n_trials);
    sqlite3_bind_double(st, 6, e->total_reward);
    bind_real(st, 7, e->regret);
    sqlite3_bind_text(st, 8, e->instance, -1, SQLITE_STATIC);
    if (step_reset(s, st, "write episode") != 0) return -1;

    st = s->st[ST_TRIAL];
    for (int t = 0; t < e->n_trials; t++) {
        const TrialRecord *tr = &e->trials[t];
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, episode);
        sqlite3_bind_int(st, 3, t);
        bind_int_or_null(st, 4, tr->action);
        bind_real(st, 5, tr->action < 0 ? NAN : tr->reward);
        bind_real(st, 6, tr->truth.p[0]);
        bind_real(st, 7, tr->truth.p[1]);
        bind_int_or_null(st, 8, tr->truth.best);
        bind_int_or_null(st, 9, tr->truth.block);
        bind_int_or_null(st, 10, tr->truth.since_reversal);
        bind_real(st, 11, tr->probs[0]);
        bind_real(st, 12, tr->probs[1]);
        bind_real(st, 13, tr->value);
        bind_real(st, 14, tr->rpe);
        if (step_reset(s, st, "write trial") != 0) return -1;
    }
    st = s->st[ST_STAGE];
    for (int i = 0; i < e->n_stages; i++) {
        const StageRecord *g = &e->stages[i];
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, episode);
        sqlite3_bind_int(st, 3, g->t);
        sqlite3_bind_int(st, 4, g->stage);
        bind_int_or_null(st, 5, g->state);
        bind_int_or_null(st, 6, g->action);
        sqlite3_bind_double(st, 7, g->reward);
        bind_real(st, 8, g->value);
        bind_real(st, 9, g->rpe);
        if (step_reset(s, st, "write stage") != 0) return -1;
    }
    if (with_activity && e->n_units > 0 && e->activity) {
        if (put_activity(s, run_id, episode, e, "pfc", 0, e->n_pfc) != 0) return -1;
        if (put_activity(s, run_id, episode, e, "striatum", e->n_pfc, e->n_units - e->n_pfc) != 0) return -1;
    }
    return 0;
}

int store_put_training(Store *s, int64_t run_id, const TrainRow *row)
{
    sqlite3_stmt *st = s->st[ST_TRAINING];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, row->episode);
    sqlite3_bind_double(st, 3, row->reward);
    bind_real(st, 4, row->regret);
    bind_real(st, 5, row->p_best);
    bind_real(st, 6, row->loss_policy);
    bind_real(st, 7, row->loss_value);
    bind_real(st, 8, row->entropy);
    bind_real(st, 9, row->grad_norm);
    bind_real(st, 10, row->beta_e);
    bind_real(st, 11, row->wall_s);
    return step_reset(s, st, "write training curve");
}

int store_put_checkpoint(Store *s, int64_t run_id, int64_t episode,
                         const void *params, size_t n_params,
                         const void *optimizer, size_t n_optimizer,
                         const void *state, size_t n_state)
{
    char now[32];
    now_iso(now, sizeof now);
    sqlite3_stmt *st;
    const char *sql = "INSERT OR REPLACE INTO checkpoints (run_id, episode, params, optimizer, state, created)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_fail(s, "write checkpoint");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    sqlite3_bind_blob64(st, 3, params, n_params, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 4, optimizer, n_optimizer, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 5, state, n_state, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(s, "write checkpoint");
    return 0;
}

int store_prune_checkpoints(Store *s, int64_t run_id, int keep)
{
    return exec_bound(s, "prune checkpoints",
                      "DELETE FROM checkpoints WHERE run_id = ?1 AND episode NOT IN "
                      "(SELECT episode FROM checkpoints WHERE run_id = ?1 ORDER BY episode DESC LIMIT ?2)",
                      "ii", run_id, (int64_t)keep);
}

static int copy_blob(sqlite3_stmt *st, int col, void **out, size_t *n)
{
    int bytes = sqlite3_column_bytes(st, col);
    const void *p = sqlite3_column_blob(st, col);
    *out = malloc(bytes > 0 ? (size_t)bytes : 1);
    if (!*out) return -1;
    if (bytes > 0) memcpy(*out, p, (size_t)bytes);
    *n = (size_t)bytes;
    return 0;
}

int store_get_checkpoint(Store *s, int64_t run_id, int64_t *episode,
                         void **params, size_t *n_params,
                         void **optimizer, size_t *n_optimizer,
                         void **state, size_t *n_state)
{
    sqlite3_stmt *st;
    *params = *optimizer = *state = NULL;
    *episode = -1;
    const char *sql = "SELECT episode, params, optimizer, state FROM checkpoints WHERE run_id = ?1"
                      " ORDER BY episode DESC LIMIT 1";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_fail(s, "read checkpoint");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        *episode = sqlite3_column_int64(st, 0);
        if (copy_blob(st, 1, params, n_params) || copy_blob(st, 2, optimizer, n_optimizer) ||
            copy_blob(st, 3, state, n_state)) {
            free(*params);
            free(*optimizer);
            free(*state);
            *params = *optimizer = *state = NULL;
            ret = store_fail(s, "%s: out of memory reading checkpoint", s->path);
        }
    } else if (rc != SQLITE_DONE) {
        ret = sql_fail(s, "read checkpoint");
    }
    sqlite3_finalize(st);
    return ret;
}

int store_delete_after(Store *s, int64_t run_id, int64_t episode)
{
    static const char *const sql[] = {
        "DELETE FROM activity WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM stages WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM trials WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM episodes WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM training WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM checkpoints WHERE run_id = ?1 AND episode > ?2",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++)
        if (exec_bound(s, "drop rows after the checkpoint", sql[i], "ii", run_id, episode) != 0) return -1;
    return 0;
}

/* ---- reading runs ------------------------------------------------------- */

static char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    return v ? strdup((const char *)v) : NULL;
}

#define RUN_COLUMNS "run_id, kind, name, parent_run, task, agent, config, seed, rng, version, started," \
                    " finished, status, summary, CASE kind WHEN 'train' THEN"                                      \
                    " coalesce((SELECT max(episode) FROM checkpoints c WHERE c.run_id = runs.run_id), 0)"    \
                    " ELSE (SELECT count(*) FROM episodes e WHERE e.run_id = runs.run_id) END"

static void row_from(sqlite3_stmt *st, RunRow *r)
{
    r->run_id = sqlite3_column_int64(st, 0);
    r->kind = col_text(st, 1);
    r->name = col_text(st, 2);
    r->parent_run = sqlite3_column_int64(st, 3);
    r->task = col_text(st, 4);
    r->agent = col_text(st, 5);
    r->config = col_text(st, 6);
    r->seed = sqlite3_column_int64(st, 7);
    r->rng = col_text(st, 8);
    r->version = col_text(st, 9);
    r->started = col_text(st, 10);
    r->finished = col_text(st, 11);
    r->status = col_text(st, 12);
    r->summary = col_text(st, 13);
    r->n_episodes = sqlite3_column_int64(st, 14);
}

void store_run_clear(RunRow *r)
{
    if (!r) return;
    char **f[] = { &r->kind, &r->name, &r->task, &r->agent, &r->config, &r->rng, &r->version,
                   &r->started, &r->finished, &r->status, &r->summary };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
}

int store_runs(Store *s, RunRow **rows, int *n)
{
    sqlite3_stmt *st;
    *rows = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT " RUN_COLUMNS " FROM runs ORDER BY run_id", -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, "list runs");
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            RunRow *p = realloc(*rows, (size_t)cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                store_runs_free(*rows, *n);
                *rows = NULL;
                *n = 0;
                return store_fail(s, "%s: out of memory", s->path);
            }
            *rows = p;
        }
        row_from(st, &(*rows)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sql_fail(s, "list runs");
        store_runs_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_runs_free(RunRow *rows, int n)
{
    for (int i = 0; i < n; i++) store_run_clear(&rows[i]);
    free(rows);
}

int store_run_get(Store *s, int64_t run_id, RunRow *row)
{
    sqlite3_stmt *st;
    memset(row, 0, sizeof *row);
    if (sqlite3_prepare_v2(s->db, "SELECT " RUN_COLUMNS " FROM runs WHERE run_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, "read run");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_from(st, row);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return store_fail(s, "%s: no run %lld (see `metarl info %s`)", s->path, (long long)run_id, s->path);
    if (rc != SQLITE_ROW) return sql_fail(s, "read run");
    return 0;
}

int64_t store_last_run(Store *s, const char *kind)
{
    sqlite3_stmt *st;
    const char *sql = kind ? "SELECT max(run_id) FROM runs WHERE kind = ?1" : "SELECT max(run_id) FROM runs";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (kind) sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    int64_t id = 0;
    if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

int store_children(Store *s, int64_t parent, int64_t **ids, int *n)
{
    sqlite3_stmt *st;
    *ids = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id FROM runs WHERE parent_run = ?1 ORDER BY run_id", -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, "list runs");
    sqlite3_bind_int64(st, 1, parent);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            int64_t *p = realloc(*ids, (size_t)cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                free(*ids);
                *ids = NULL;
                *n = 0;
                return store_fail(s, "%s: out of memory", s->path);
            }
            *ids = p;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sql_fail(s, "list runs");
        free(*ids);
        *ids = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

/* ---- reading episodes --------------------------------------------------- */

static double col_real(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

static int col_int(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int(st, col);
}

void store_episodes_free(EpisodeRecord **eps, int n)
{
    if (!eps) return;
    for (int i = 0; i < n; i++) episode_free(eps[i]);
    free(eps);
}

/* Read the activity of one episode into e, allocating it to the right size. */
static int read_activity(Store *s, sqlite3_stmt *st, int64_t run_id, int64_t episode, EpisodeRecord *e)
{
    int n_pfc = 0, n_str = 0;
    const void *blob[2] = { NULL, NULL };
    int bytes[2] = { 0, 0 };
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    int rc, ret = 0;
    float *act = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *module = (const char *)sqlite3_column_text(st, 0);
        int nt = sqlite3_column_int(st, 1), nu = sqlite3_column_int(st, 2);
        int k = module && strcmp(module, "pfc") == 0 ? 0 : 1;
        bytes[k] = sqlite3_column_bytes(st, 3);
        if (nt != e->n_trials || nu < 0 || (size_t)bytes[k] != (size_t)nt * (size_t)nu * sizeof(float)) {
            ret = store_fail(s, "%s: run %lld episode %lld: activity blob of %d bytes does not match %d trials x %d units",
                             s->path, (long long)run_id, (long long)episode, bytes[k], nt, nu);
            break;
        }
        if (k == 0) n_pfc = nu;
        else n_str = nu;
        void *copy = malloc(bytes[k] ? (size_t)bytes[k] : 1);
        if (!copy) {
            ret = store_fail(s, "%s: out of memory", s->path);
            break;
        }
        memcpy(copy, sqlite3_column_blob(st, 3), (size_t)bytes[k]);
        free((void *)blob[k]);
        blob[k] = copy;
    }
    sqlite3_reset(st);
    /* every path, failed or not, ends by freeing the blobs copied so far */
    if (ret == 0 && rc != SQLITE_DONE) {
        ret = sql_fail(s, "read activity");
    } else if (ret == 0 && n_pfc + n_str > 0) {
        int nu = n_pfc + n_str;
        act = malloc((size_t)e->cap_trials * (size_t)nu * sizeof *act);
        if (!act) {
            ret = store_fail(s, "%s: out of memory", s->path);
        } else {
            for (int t = 0; t < e->n_trials; t++) {
                if (n_pfc) memcpy(act + (size_t)t * nu, (const float *)blob[0] + (size_t)t * n_pfc, (size_t)n_pfc * sizeof(float));
                if (n_str) memcpy(act + (size_t)t * nu + n_pfc, (const float *)blob[1] + (size_t)t * n_str, (size_t)n_str * sizeof(float));
            }
            free(e->activity);
            e->activity = act;
            e->n_units = nu;
            e->n_pfc = n_pfc;
        }
    }
    free((void *)blob[0]);
    free((void *)blob[1]);
    return ret;
}

/* The stage rows of one episode, if any (st is bound and reset here). */
static int read_stages(Store *s, sqlite3_stmt *st, int64_t run_id, int64_t episode, EpisodeRecord *e)
{
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        StageRecord g = { col_int(st, 0), col_int(st, 1), col_int(st, 2), col_int(st, 3),
                          sqlite3_column_double(st, 4), col_real(st, 5), col_real(st, 6) };
        if (g.t < 0 || g.t >= e->n_trials || g.stage < 0) {
            sqlite3_reset(st);
            return store_fail(s, "%s: run %lld episode %lld: stage %d of trial %d out of range", s->path,
                              (long long)run_id, (long long)episode, g.stage, g.t);
        }
        if ((e->n_stages == e->cap_stages && episode_reserve_stages(e, e->cap_stages ? 2 * e->cap_stages : 64) != 0) ||
            episode_add_stage(e, &g) != 0) {
            sqlite3_reset(st);
            return store_fail(s, "%s: out of memory reading run %lld", s->path, (long long)run_id);
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(s, "read stages");
}

int store_read_episodes(Store *s, int64_t run_id, int with_activity, EpisodeRecord ***eps, int *n)
{
    sqlite3_stmt *se = NULL, *stt = NULL, *sa = NULL, *sg = NULL;
    EpisodeRecord **out = NULL;
    int count = 0, cap = 0, ret = -1;
    *eps = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT episode, subject, n_trials, total_reward, regret, instance FROM episodes"
                                  " WHERE run_id = ?1 ORDER BY episode", -1, &se, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT t, action, reward, p0, p1, best, block, since_reversal, prob0, prob1,"
                                  " value, rpe FROM trials WHERE run_id = ?1 AND episode = ?2 ORDER BY t",
                           -1, &stt, NULL) != SQLITE_OK ||
        (with_activity && sqlite3_prepare_v2(s->db, "SELECT module, n_trials, n_units, rates FROM activity"
                                                    " WHERE run_id = ?1 AND episode = ?2 ORDER BY module",
                                             -1, &sa, NULL) != SQLITE_OK) ||
        (s->version >= 2 && sqlite3_prepare_v2(s->db, "SELECT t, stage, state, action, reward, value, rpe FROM stages"
                                                     " WHERE run_id = ?1 AND episode = ?2 ORDER BY t, stage",
                                               -1, &sg, NULL) != SQLITE_OK)) {
        sql_fail(s, "read episodes");
        goto done;
    }
    sqlite3_bind_int64(se, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(se)) == SQLITE_ROW) {
        int64_t episode = sqlite3_column_int64(se, 0);
        int n_trials = sqlite3_column_int(se, 2);
        if (n_trials < 0 || n_trials > STORE_MAX_TRIALS) {
            store_fail(s, "%s: run %lld episode %lld: implausible n_trials %d", s->path, (long long)run_id,
                       (long long)episode, n_trials);
            goto done;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            EpisodeRecord **p = realloc(out, (size_t)cap * sizeof *p);
            if (!p) goto oom;
            out = p;
        }
        EpisodeRecord *e = episode_alloc(n_trials > 0 ? n_trials : 1, 0);
        if (!e) goto oom;
        out[count++] = e;
        const char *subject = (const char *)sqlite3_column_text(se, 1);
        snprintf(e->subject, sizeof e->subject, "%s", subject ? subject : "");
        e->total_reward = sqlite3_column_double(se, 3);
        e->regret = col_real(se, 4);
        const char *inst = (const char *)sqlite3_column_text(se, 5);
        snprintf(e->instance, sizeof e->instance, "%s", inst ? inst : "{}");

        sqlite3_bind_int64(stt, 1, run_id);
        sqlite3_bind_int64(stt, 2, episode);
        int rt, expect = 0;
        while ((rt = sqlite3_step(stt)) == SQLITE_ROW) {
            int t = sqlite3_column_int(stt, 0);
            if (t != expect || t >= n_trials) {
                sqlite3_reset(stt);
                store_fail(s, "%s: run %lld episode %lld: trial %d out of sequence (expected %d of %d)",
                           s->path, (long long)run_id, (long long)episode, t, expect, n_trials);
                goto done;
            }
            expect++;
            TrialRecord *tr = &e->trials[t];
            tr->action = col_int(stt, 1);
            tr->reward = col_real(stt, 2);
            tr->truth.p[0] = col_real(stt, 3);
            tr->truth.p[1] = col_real(stt, 4);
            tr->truth.best = col_int(stt, 5);
            tr->truth.block = col_int(stt, 6);
            tr->truth.since_reversal = col_int(stt, 7);
            tr->probs[0] = col_real(stt, 8);
            tr->probs[1] = col_real(stt, 9);
            tr->value = col_real(stt, 10);
            tr->rpe = col_real(stt, 11);
            if (tr->action < -1 || tr->action >= TASK_MAX_ACTIONS) {
                sqlite3_reset(stt);
                store_fail(s, "%s: run %lld episode %lld trial %d: action %d out of range", s->path,
                           (long long)run_id, (long long)episode, t, tr->action);
                goto done;
            }
        }
        sqlite3_reset(stt);
        if (rt != SQLITE_DONE) {
            sql_fail(s, "read trials");
            goto done;
        }
        if (expect != n_trials) {
            store_fail(s, "%s: run %lld episode %lld: %d trials stored, %d expected", s->path,
                       (long long)run_id, (long long)episode, expect, n_trials);
            goto done;
        }
        e->n_trials = n_trials;
        if (sg && read_stages(s, sg, run_id, episode, e) != 0) goto done;
        if (with_activity && read_activity(s, sa, run_id, episode, e) != 0) goto done;
    }
    if (rc != SQLITE_DONE) {
        sql_fail(s, "read episodes");
        goto done;
    }
    *eps = out;
    *n = count;
    out = NULL;
    ret = 0;
    goto done;
oom:
    store_fail(s, "%s: out of memory reading run %lld", s->path, (long long)run_id);
done:
    store_episodes_free(out, count);
    sqlite3_finalize(se);
    sqlite3_finalize(stt);
    sqlite3_finalize(sa);
    sqlite3_finalize(sg);
    return ret;
}

int store_read_training(Store *s, int64_t run_id, TrainRow **rows, int *n)
{
    sqlite3_stmt *st;
    *rows = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT episode, reward, regret, p_best, loss_policy, loss_value, entropy,"
                                  " grad_norm, beta_e, wall_s FROM training WHERE run_id = ?1 ORDER BY episode",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(s, "read training curve");
    sqlite3_bind_int64(st, 1, run_id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            TrainRow *p = realloc(*rows, (size_t)cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                free(*rows);
                *rows = NULL;
                *n = 0;
                return store_fail(s, "%s: out of memory", s->path);
            }
            *rows = p;
        }
        TrainRow *r = &(*rows)[(*n)++];
        r->episode = sqlite3_column_int64(st, 0);
        r->reward = col_real(st, 1);
        r->regret = col_real(st, 2);
        r->p_best = col_real(st, 3);
        r->loss_policy = col_real(st, 4);
        r->loss_value = col_real(st, 5);
        r->entropy = col_real(st, 6);
        r->grad_norm = col_real(st, 7);
        r->beta_e = col_real(st, 8);
        r->wall_s = col_real(st, 9);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sql_fail(s, "read training curve");
        free(*rows);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int store_query_text(Store *s, const char *sql, char *out, size_t n_out)
{
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_fail(s, "query");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(out, n_out, "%s", v ? (const char *)v : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_fail(s, "query");
    return 0;
}

/* ---- merging stores ----------------------------------------------------- */

/* A src run's original id: merged_from.run if it came from an earlier merge. */
#define MERGE_ORIGIN(tbl) "coalesce(CASE WHEN json_valid(" tbl "summary) THEN json_extract(" tbl "summary," \
                          " '$.merged_from.run') END, " tbl "run_id)"
/* How far a run went: rows stored plus the newest checkpoint (-1 = none). */
#define MERGE_PROGRESS(db, tbl) "(SELECT count(*) FROM " db ".episodes e WHERE e.run_id = " tbl "run_id)" \
                                " + (SELECT count(*) FROM " db ".training t WHERE t.run_id = " tbl "run_id)" \
                                " + (SELECT coalesce(max(episode), -1) FROM " db ".checkpoints k" \
                                " WHERE k.run_id = " tbl "run_id)"
/* The summary with provenance added (kept if it already has some; left
** alone if it is not JSON). ?3 = the input's label. */
#define MERGE_SUMMARY "CASE WHEN summary IS NULL THEN json_object('merged_from', json_object('file', ?3, 'run', run_id))" \
                      " WHEN NOT json_valid(summary) OR json_type(summary) != 'object' THEN summary" \
                      " WHEN json_extract(summary, '$.merged_from') IS NOT NULL THEN summary" \
                      " ELSE json_set(summary, '$.merged_from', json_object('file', ?3, 'run', run_id)) END"

typedef struct {
    int64_t old_id, new_id;
} MergeMap;

static int64_t merge_lookup(const MergeMap *m, int n, int64_t old_id)
{
    int lo = 0, hi = n - 1;   /* m is sorted by old_id: runs are read in id order */
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (m[mid].old_id == old_id) return m[mid].new_id;
        if (m[mid].old_id < old_id) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

/* Copy the data rows of src run `old_id` to run `new_id` of main. */
static int merge_rows(Store *s, int64_t new_id, int64_t old_id)
{
    static const char *const sql[] = {
        "INSERT INTO main.episodes (run_id, episode, phase, subject, n_trials, total_reward, regret, instance)"
        " SELECT ?1, episode, phase, subject, n_trials, total_reward, regret, instance"
        " FROM merge_src.episodes WHERE run_id = ?2 ORDER BY episode",
        "INSERT INTO main.trials (run_id, episode, t, action, reward, p0, p1, best, block, since_reversal,"
        " prob0, prob1, value, rpe) SELECT ?1, episode, t, action, reward, p0, p1, best, block, since_reversal,"
        " prob0, prob1, value, rpe FROM merge_src.trials WHERE run_id = ?2 ORDER BY episode, t",
        "INSERT INTO main.stages (run_id, episode, t, stage, state, action, reward, value, rpe)"
        " SELECT ?1, episode, t, stage, state, action, reward, value, rpe FROM merge_src.stages"
        " WHERE run_id = ?2 ORDER BY episode, t, stage",
        "INSERT INTO main.activity (run_id, episode, module, n_trials, n_units, rates)"
        " SELECT ?1, episode, module, n_trials, n_units, rates FROM merge_src.activity WHERE run_id = ?2"
        " ORDER BY episode, module",
        "INSERT INTO main.training (run_id, episode, reward, regret, p_best, loss_policy, loss_value, entropy,"
        " grad_norm, beta_e, wall_s) SELECT ?1, episode, reward, regret, p_best, loss_policy, loss_value, entropy,"
        " grad_norm, beta_e, wall_s FROM merge_src.training WHERE run_id = ?2 ORDER BY episode",
        "INSERT INTO main.checkpoints (run_id, episode, params, optimizer, state, created)"
        " SELECT ?1, episode, params, optimizer, state, created FROM merge_src.checkpoints WHERE run_id = ?2"
        " ORDER BY episode",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        if (strstr(sql[i], "merge_src.stages") && !s->merge_src_stages) continue;   /* a version-1 file */
        if (exec_bound(s, "copy rows", sql[i], "ii", new_id, old_id) != 0) return -1;
    }
    return 0;
}

/* Drop the data rows of run id of main (before copying a newer version). */
static int merge_clear(Store *s, int64_t id)
{
    static const char *const sql[] = {
        "DELETE FROM main.activity WHERE run_id = ?1", "DELETE FROM main.stages WHERE run_id = ?1",
        "DELETE FROM main.trials WHERE run_id = ?1",
        "DELETE FROM main.episodes WHERE run_id = ?1", "DELETE FROM main.training WHERE run_id = ?1",
        "DELETE FROM main.checkpoints WHERE run_id = ?1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++)
        if (exec_bound(s, "replace rows", sql[i], "i", id) != 0) return -1;
    return 0;
}

/* Bind text column `col` of st as parameter i of q (NULL stays NULL). */
static void bind_col(sqlite3_stmt *q, int i, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) sqlite3_bind_null(q, i);
    else if (sqlite3_column_type(st, col) == SQLITE_INTEGER) sqlite3_bind_int64(q, i, sqlite3_column_int64(st, col));
    else sqlite3_bind_text(q, i, (const char *)sqlite3_column_text(st, col), -1, SQLITE_TRANSIENT);
}

static int merge_runs(Store *s, const char *label, StoreMergeCounts *c)
{
    sqlite3_stmt *src = NULL, *find = NULL, *ins = NULL, *upd = NULL;
    MergeMap *map = NULL;
    int n_map = 0, cap = 0, ret = -1, rc;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id, parent_run, kind, name, task, agent, config, seed, rng, version,"
                                  " started, " MERGE_ORIGIN("") ", " MERGE_PROGRESS("merge_src", "runs.") ","
                                  " coalesce(finished, '') FROM merge_src.runs ORDER BY run_id", -1, &src, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT run_id, " MERGE_PROGRESS("main", "r.") ", coalesce(finished, '')"
                                  " FROM main.runs r WHERE kind = ?1 AND name = ?2 AND task = ?3 AND agent = ?4"
                                  " AND config = ?5 AND seed = ?6 AND rng = ?7 AND version = ?8 AND started = ?9"
                                  " AND " MERGE_ORIGIN("r.") " = ?10 ORDER BY run_id LIMIT 1", -1, &find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "INSERT INTO main.runs (kind, name, parent_run, task, agent, config, seed, rng,"
                                  " version, started, finished, status, summary) SELECT kind, name, ?1, task, agent,"
                                  " config, seed, rng, version, started, finished, status, " MERGE_SUMMARY
                                  " FROM merge_src.runs WHERE run_id = ?2", -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "UPDATE main.runs SET (finished, status, summary) = (SELECT finished, status, "
                                  MERGE_SUMMARY " FROM merge_src.runs WHERE run_id = ?2) WHERE run_id = ?1",
                           -1, &upd, NULL) != SQLITE_OK) {
        sql_fail(s, "merge: prepare");
        goto done;
    }
    while ((rc = sqlite3_step(src)) == SQLITE_ROW) {
        int64_t old_id = sqlite3_column_int64(src, 0), new_id = 0;
        int64_t parent = sqlite3_column_type(src, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(src, 1);
        int64_t progress = sqlite3_column_int64(src, 12);
        const char *finished = (const char *)sqlite3_column_text(src, 13);
        for (int i = 0; i < 10; i++) bind_col(find, i + 1, src, i + 2);
        int rf = sqlite3_step(find);
        if (rf == SQLITE_ROW) {
            new_id = sqlite3_column_int64(find, 0);
            int64_t have = sqlite3_column_int64(find, 1);
            const char *have_fin = (const char *)sqlite3_column_text(find, 2);
            int newer = progress > have || (progress == have && strcmp(finished ? finished : "", have_fin ? have_fin : "") > 0);
            sqlite3_reset(find);
            if (!newer) {
                c->skipped++;
            } else {
                sqlite3_bind_int64(upd, 1, new_id);
                sqlite3_bind_int64(upd, 2, old_id);
                sqlite3_bind_text(upd, 3, label, -1, SQLITE_TRANSIENT);
                if (merge_clear(s, new_id) != 0 || step_reset(s, upd, "merge: update run") != 0 ||
                    merge_rows(s, new_id, old_id) != 0)
                    goto done;
                c->updated++;
            }
        } else if (rf == SQLITE_DONE) {
            sqlite3_reset(find);
            int64_t p = parent ? merge_lookup(map, n_map, parent) : 0;
            if (p) sqlite3_bind_int64(ins, 1, p);
            else sqlite3_bind_null(ins, 1);
            sqlite3_bind_int64(ins, 2, old_id);
            sqlite3_bind_text(ins, 3, label, -1, SQLITE_TRANSIENT);
            if (step_reset(s, ins, "merge: copy run") != 0) goto done;
            new_id = sqlite3_last_insert_rowid(s->db);
            if (merge_rows(s, new_id, old_id) != 0) goto done;
            c->added++;
        } else {
            sqlite3_reset(find);
            sql_fail(s, "merge: look up run");
            goto done;
        }
        if (n_map == cap) {
            cap = cap ? 2 * cap : 64;
            MergeMap *m = realloc(map, (size_t)cap * sizeof *m);
            if (!m) {
                store_fail(s, "%s: out of memory", s->path);
                goto done;
            }
            map = m;
        }
        map[n_map++] = (MergeMap){ old_id, new_id };
    }
    if (rc != SQLITE_DONE) {
        sql_fail(s, "merge: read runs");
        goto done;
    }
    ret = 0;
done:
    sqlite3_finalize(src);
    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    free(map);
    return ret;
}

int store_merge(Store *s, const char *in_path, const char *label, StoreMergeCounts *counts)
{
    char err[512];
    struct stat a, b;
    assert(s->mode == STORE_WRITE);
    memset(counts, 0, sizeof *counts);
    if (stat(in_path, &a) == 0 && stat(s->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return store_fail(s, "%s: is the output file itself", in_path);
    Store *in = store_open(in_path, STORE_READ, err, sizeof err);   /* identify it (foreign, newer, damaged?) */
    if (!in) return store_fail(s, "%s", err);
    s->merge_src_stages = in->version >= 2;
    store_close(in);
    if (exec_bound(s, "attach", "ATTACH DATABASE ?1 AS merge_src", "t", in_path) != 0) return -1;
    int ret = -1;
    if (store_begin(s) != 0) goto detach;
    if (merge_runs(s, label, counts) != 0) {
        char msg[sizeof s->err];
        snprintf(msg, sizeof msg, "%s", s->err);   /* keep the message across the rollback */
        store_rollback(s);
        snprintf(s->err, sizeof s->err, "%s", msg);
        memset(counts, 0, sizeof *counts);
        goto detach;
    }
    if (store_commit(s) != 0) {
        memset(counts, 0, sizeof *counts);
        goto detach;
    }
    ret = 0;
detach:
    if (sqlite3_exec(s->db, "DETACH DATABASE merge_src", NULL, NULL, NULL) != SQLITE_OK && ret == 0)
        ret = sql_fail(s, "detach");
    return ret;
}
