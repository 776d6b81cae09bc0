/* store/open.c: opening, closing, locking, transactions (see store.h).
**
** Opening is careful, because users point metarl at files that may be
** anything: the file is first opened read-only and identified (an SQLite
** database? our application id? a schema we know?) before anything is
** written. A store that does not exist yet is created, and if creating it
** fails, the half-made file is removed again.
*/
#define _GNU_SOURCE   /* F_OFD_SETLK (Linux), for store_lock_run */
#include <fcntl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_internal.h"
#include "core/thread.h"

extern const char store_schema_sql[];   /* data/schema.sql, compiled in by the Makefile */

/* OR ROLLBACK: a failed row ends the whole transaction, which every caller
** rolls back anyway. It spares SQLite a statement journal: with the default
** (ABORT, which undoes only the failing statement), an insert that writes
** more than one b-tree entry (the multi-row trials chunk; a row and its
** index entry) first saved every page it changed, and past 64 KiB spilled
** them to a temporary file: 14,000 of the 24,000 pwrite calls of a 2000-
** episode test with sparse rates at 96 units. */
static const char *const insert_sql[ST_COUNT] = {
    "INSERT OR ROLLBACK INTO episodes (run_id, episode, phase, subject, n_trials, total_reward, regret, instance)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT OR ROLLBACK INTO trials (run_id, episode, t, action, reward, p0, p1, best, block, since_reversal,"
    " prob0, prob1, value, rpe) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    "INSERT OR ROLLBACK INTO activity (run_id, episode, module, n_trials, n_units, rates) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "INSERT OR ROLLBACK INTO training (run_id, episode, reward, regret, p_best, loss_policy, loss_value, entropy,"
    " grad_norm, beta_e, wall_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    "INSERT OR ROLLBACK INTO stages (run_id, episode, t, stage, state, action, reward, value, rpe)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    "INSERT OR ROLLBACK INTO activity_steps (run_id, episode, module, n_steps, n_units, steps_per_trial, epochs, rates)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    NULL,   /* ST_TRIAL_CHUNK: built from ST_TRIAL by trial_chunk_sql */
};

/* The WAL checkpointer: a thread with its own connection that copies
** committed WAL frames into the database file (and syncs both) while the
** writer goes on. SQLite's own autocheckpoint would do that copy inside the
** writer's COMMIT; for a test run storing every trial's unit rates, the
** copy and its syncs are most of the cost of writing. A PASSIVE checkpoint
** never blocks the writer, and a failed one (busy, disk full) is simply
** redone later. The WAL can only start over from its beginning when it has
** been copied up to its last frame as a transaction begins, so once it
** holds STORE_WAL_LIMIT bytes the writer waits for the thread and copies
** the rest itself: the WAL stays bounded. The last copy happens when the
** writer's connection closes. Both thresholds are in bytes, turned into
** pages of the store's own page size (4 KiB for stores made before
** STORE_PAGE_SIZE, 64 KiB or 16 KiB since). */
struct Checkpointer {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake, idle;
    int pending, busy, quit;
    int wal_pages;        /* after the writer's last commit (writer's thread only) */
    int wake_pages;       /* STORE_CHECKPOINT_BYTES in pages */
    int limit_pages;      /* STORE_WAL_LIMIT in pages */
};

#define STORE_CHECKPOINT_BYTES (1000 * 4096)   /* wake the thread (SQLite's autocheckpoint default of 1000 4 KiB pages) */
#define STORE_WAL_LIMIT (16000 * 4096)         /* 64 MiB: the writer drains the WAL */

/* The page size of new stores (fixed when a store is made). Every page goes
** through the WAL twice (written, then read back and copied by the
** checkpointer), and SQLite and the kernel pay per page as much as per byte,
** so pages larger than SQLite's default of 4 KiB cost less CPU per byte of
** rates. But a record that fits in a page is kept whole in one leaf page,
** one record per page if two do not fit: with 64 KiB pages a record of rates
** of 38 KB (96 units, 100 trials, float32) filled a page alone, and a test at
** 96 units made a store of 150 MB for 77 MB of rates, against 100 MB with
** 16 KiB pages, where a record keeps about 5 KB in its leaf and fills whole
** overflow pages. 16 KiB pages took the same wall time as 64 KiB at 48 and
** 256 units (CPU time within 5%) and less at 96 (README, "Recording cost"). An
** empty store takes 14 pages (0.2 MB). */
#define STORE_PAGE_SIZE 16384

/* insert_sql[ST_TRIAL] for STORE_TRIAL_CHUNK rows: VALUES (?1, ..., ?14),
** (?15, ..., ?28), ... (each row's parameters follow the last row's). */
static void trial_chunk_sql(char *sql, size_t n)
{
    const char *values = strstr(insert_sql[ST_TRIAL], " VALUES");
    size_t len = (size_t)(values - insert_sql[ST_TRIAL]);
    memcpy(sql, insert_sql[ST_TRIAL], len);
    len += (size_t)snprintf(sql + len, n - len, " VALUES ");
    for (int r = 0; r < STORE_TRIAL_CHUNK; r++)
        for (int c = 0; c < STORE_TRIAL_COLUMNS; c++)
            len += (size_t)snprintf(sql + len, n - len, "%s?%d%s", c ? ", " : r ? ", (" : "(",
                                    r * STORE_TRIAL_COLUMNS + c + 1, c == STORE_TRIAL_COLUMNS - 1 ? ")" : "");
}

static void checkpointer_start(Store *s);
static int create_schema(Store *s);
static int check_wal(Store *s);

int store_fail(Store *s, const char *fmt, ...)
{
    s->runtime = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int sql_fail_message(Store *s, const char *what);

int store_sql_fail(Store *s, const char *what)
{
    int code = sqlite3_extended_errcode(s->db) & 0xff;
    sql_fail_message(s, what);
    s->runtime = code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_NOMEM;
    return -1;
}

static int sql_fail_message(Store *s, const char *what)
{
    int code = sqlite3_extended_errcode(s->db);
    int sys = sqlite3_system_errno(s->db);
    const char *msg = sqlite3_errmsg(s->db);
    if ((code & 0xff) == SQLITE_NOMEM) return store_fail(s, "%s: %s: out of memory", s->path, what);
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
int store_err_runtime(const Store *s) { return s->runtime; }
int64_t store_value_limit(const Store *s) { return sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, -1); }
const char *store_path(const Store *s) { return s->path; }
void store_now_iso(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- opening ------------------------------------------------------------ */

int store_pragma_int(sqlite3 *db, const char *sql, int *out)
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
    if (store_pragma_int(s->db, "PRAGMA application_id", &app) != 0) {
        int code = sqlite3_errcode(s->db);
        if (code == SQLITE_NOTADB)
            return store_fail(s, "%s: not a metarl database (not an SQLite file at all)", s->path);
        return store_sql_fail(s, "cannot read the file");
    }
    if (store_pragma_int(s->db, "PRAGMA user_version", &version) != 0 ||
        store_pragma_int(s->db, "SELECT count(*) FROM sqlite_schema", &n_tables) != 0)
        return store_sql_fail(s, "cannot read the schema");
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
    if (store_pragma_int(s->db, "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name IN "
                          "('runs','episodes','trials','activity','training','checkpoints')", &n_ours) != 0)
        return store_sql_fail(s, "cannot read the schema");
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

/* Bring an older file to the current version before writing to it (1 -> 2:
** the stages table; 2 -> 3: the fits table; 3 -> 4: activity_steps); the
** schema text creates only what is missing. */
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
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return store_sql_fail(s, "create schema");
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
    store_sql_fail(s, "create schema");
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

Store *store_open(const char *path, StoreMode mode, char *err, size_t n_err)
{
    return store_open_rt(path, mode, NULL, err, n_err);
}

Store *store_open_rt(const char *path, StoreMode mode, int *runtime, char *err, size_t n_err)
{
    Store *s = calloc(1, sizeof *s);
    if (runtime) *runtime = 1;   /* until a failure says otherwise: only out of memory comes before */
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
        /* the page size first: it is fixed once the file holds a page (and in WAL mode) */
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA page_size = %d", STORE_PAGE_SIZE);
        if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
            store_sql_fail(s, "set WAL mode");
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
            store_sql_fail(s, "configure");
            goto fail_msg;
        }
        if (upgrade_schema(s) != 0) goto fail_msg;
        char chunk_sql[STORE_TRIAL_CHUNK * (STORE_TRIAL_COLUMNS * 6 + 4) + 256];
        trial_chunk_sql(chunk_sql, sizeof chunk_sql);
        for (int i = 0; i < ST_COUNT; i++)
            if (sqlite3_prepare_v3(s->db, i == ST_TRIAL_CHUNK ? chunk_sql : insert_sql[i], -1,
                                   SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
                store_sql_fail(s, "prepare");
                goto fail_msg;
            }
        checkpointer_start(s);
    }
    if (runtime) *runtime = 0;
    return s;
fail_msg:
    snprintf(err, n_err, "%s", s->err[0] ? s->err : "out of memory");
    if (runtime) *runtime = !s->err[0] || s->runtime;
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
    if (wal_pages >= c->wake_pages) {
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
    if (!c || c->wal_pages < c->limit_pages) return;
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
    int page = 4096;
    if (store_pragma_int(s->db, "PRAGMA page_size", &page) != 0 || page < 512) page = 4096;
    c->wake_pages = STORE_CHECKPOINT_BYTES / page;
    c->limit_pages = STORE_WAL_LIMIT / page;
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
    free(s->packed);
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
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return store_sql_fail(s, "begin");
    /* Change the store_id's page in every transaction (SQLite skips a write
    ** that changes nothing), so that every WAL that metarl writes carries the
    ** id and check_wal can tell whose WAL it is. */
    if (s->version >= 2 &&
        sqlite3_exec(s->db, "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
                            " WHERE key = 'transactions'", NULL, NULL, NULL) != SQLITE_OK) {
        store_sql_fail(s, "begin");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int store_commit(Store *s)
{
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        store_sql_fail(s, "commit");
        if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

void store_rollback(Store *s)
{
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}
