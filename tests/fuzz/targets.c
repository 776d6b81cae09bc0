/* tests/fuzz/targets.c: fuzz targets for the config reader, the importer,
** the store reader and the activity BLOB decoder (see targets.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/import.h"
#include "core/config.h"
#include "store/rates.h"
#include "store/store.h"
#include "model/agent.h"
#include "model/train_settings.h"
#include "tasks/task.h"
#include "tests/fuzz/targets.h"

static const OptSpec run_specs[] = {
    { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL, "seed" },
    { "run", "episodes", NULL, OPT_INT, "100", 1, 1e9, NULL, NULL, "episodes" },
    OPT_END
};

int fuzz_config(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    Config *c = config_alloc();
    char err[1024];
    if (c && !config_declare(c, run_specs) && !task_declare(c) && !agent_declare(c) && !train_declare(c)) {
        if (config_load_text(c, text, "fuzz.ini", err, sizeof err) == 0 && config_finalize(c, err, sizeof err) == 0) {
            free(config_dump(c));
            Task *t = task_alloc(c, err, sizeof err);   /* settings that pass must build a task or say why */
            task_free(t);
        }
    }
    config_free(c);
    free(text);
    return 0;
}

int fuzz_import(const uint8_t *data, size_t size)
{
    ImportSpec specs[3];
    import_spec_csv(&specs[0]);
    import_spec_hbayesdm(&specs[1]);
    import_spec_csv(&specs[2]);
    specs[2].correct_col = "S";
    specs[2].choice_col = "A";
    specs[2].reward_col = "R";
    specs[2].reward_codes[1] = "-1";
    specs[2].p_high = 0.8;
    specs[2].p_low = 0.2;
    for (int k = 0; k < 3; k++) {
        FILE *f = fmemopen((void *)data, size, "r");
        if (!f) return 0;
        EpisodeRecord **eps;
        int n;
        char err[1024];
        if (import_stream(f, "fuzz.csv", &specs[k], &eps, &n, err, sizeof err) == 0) import_free(eps, n);
        fclose(f);
    }
    return 0;
}

int fuzz_store(const uint8_t *data, size_t size)
{
    char path[64], side[80];
    snprintf(path, sizeof path, "/tmp/metarl-fuzz-%ld.db", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char err[1024];
    Store *s = store_open(path, STORE_READ, err, sizeof err);
    if (s) {
        RunRow *rows;
        int n;
        if (store_runs(s, &rows, &n) == 0) {
            for (int i = 0; i < n && i < 8; i++) {
                EpisodeRecord **eps;
                int ne;
                if (store_read_episodes(s, rows[i].run_id, 1, &eps, &ne) == 0) store_episodes_free(eps, ne);
                TrainRow *tr;
                int nt;
                if (store_read_training(s, rows[i].run_id, &tr, &nt) == 0) free(tr);
                int64_t ep;
                void *p, *o, *x;
                size_t np, no, nx;
                if (store_get_checkpoint(s, rows[i].run_id, &ep, &p, &np, &o, &no, &x, &nx) == 0) {
                    free(p);
                    free(o);
                    free(x);
                }
            }
            store_runs_free(rows, n);
        }
        store_close(s);
    }
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}

/* The first two bytes are the row's number of values (a shape from the
** table's columns), the rest a BLOB of any length: decoded, it must never
** read or write past either; whatever it decodes to is encoded again as
** sparse and must decode to the same bits. */
int fuzz_rates(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t n = (size_t)data[0] | (size_t)data[1] << 8, bytes = size - 2;
    float *out = malloc((n ? n : 1) * sizeof *out), *back = malloc((n ? n : 1) * sizeof *back);
    unsigned char *blob = malloc(bytes ? bytes : 1), *packed = malloc(store_sparse_bound(n));
    if (!out || !back || !blob || !packed) goto done;
    memcpy(blob, data + 2, bytes);   /* a buffer of exactly the BLOB's length, so ASan sees any overread */
    const char *why = NULL;
    if (store_rates_decode(blob, bytes, n, out, &why) == 0) {
        size_t len = store_sparse_encode(out, n, packed);
        if (!(len & 1) || store_rates_decode(packed, len, n, back, NULL) != 0 || memcmp(out, back, n * sizeof *out))
            abort();
    } else if (!why) {
        abort();   /* a refusal always says why */
    }
done:
    free(out);
    free(back);
    free(blob);
    free(packed);
    return 0;
}
