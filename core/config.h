/* core/config.h: typed settings from defaults, INI files, flags and --set.
**
** Every setting the program accepts is declared once as an OptSpec: its INI
** section and key, its command-line flag, its type, default, accepted range
** and a one-line help text. A Config collects the specs a command accepts and
** resolves values in a fixed order of precedence:
**
**     built-in default  <  --config FILE (INI)  <  --flag  <  --set section.key=value
**
** (flags and --set are applied in the order given; the last one wins).
** Values are checked when they are set, so a malformed number or a value out
** of range is reported with the item that carried it ("--episodes", or
** "bandit.ini:4 train.lr"). The resolved configuration is printed back as INI
** text (config_dump) and stored with every run, so that each result points to
** the exact settings that produced it.
**
** Sections that hold a `name` key of kind OPT_CHOICE ("task", "agent") select
** an owner: specs whose `owner` is set apply only when that name is chosen.
** Several owners may declare the same key with different defaults (the bandit
** and the reversal task both declare task.trials). config_finalize() rejects a
** key that the chosen owner does not take.
**
** No function here prints or exits: errors are returned as -1 with a message
** in the caller's buffer.
*/
#ifndef METARL_CONFIG_H
#define METARL_CONFIG_H

#include <stddef.h>

typedef enum {
    OPT_INT,      /* whole number in [min, max] */
    OPT_DOUBLE,   /* finite real number in [min, max] */
    OPT_BOOL,     /* 0/1, true/false, yes/no, on/off */
    OPT_CHOICE,   /* one of the '|'-separated words in choices */
    OPT_STRING,   /* any text */
    OPT_INT_LIST  /* comma-separated whole numbers, each in [min, max] */
} OptKind;

typedef struct OptSpec {
    const char *section;  /* INI section, e.g. "train" */
    const char *key;      /* INI key, e.g. "lr" */
    const char *flag;     /* long flag without "--"; NULL = same as key; "" = config file only */
    OptKind kind;
    const char *def;      /* default, as text */
    double min, max;      /* inclusive range for OPT_INT, OPT_DOUBLE, OPT_INT_LIST */
    const char *choices;  /* "a|b|c" for OPT_CHOICE */
    const char *owner;    /* NULL = always applies; else the section's `name` it belongs to */
    const char *help;     /* one line */
} OptSpec;

/* End marker for OptSpec arrays. */
#define OPT_END { NULL, NULL, NULL, OPT_INT, NULL, 0, 0, NULL, NULL, NULL }

typedef struct Config Config;

/* Return a new, empty Config, or NULL if out of memory. Free with config_free(). */
Config *config_alloc(void);
void config_free(Config *c);

/* Accept the settings in `specs` (an OPT_END-terminated array that must
** outlive c). Return 0, or -1 on out of memory. */
int config_declare(Config *c, const OptSpec *specs);

/* Set section.key to `value`. `origin` names where the value came from, for
** messages ("--episodes", "file.ini:3"). Return 0, or -1 with a message in err
** if the key is unknown or the value malformed or out of range. */
int config_set(Config *c, const char *section, const char *key, const char *value,
               const char *origin, char *err, size_t n_err);

/* Apply one "section.key=value" assignment (the argument of --set). */
int config_assign(Config *c, const char *assignment, const char *origin,
                  char *err, size_t n_err);

/* Read an INI file with inih and config_set() every entry. Return 0, or -1
** with "FILE: cannot read" or "FILE:LINE ..." in err. */
int config_load_ini(Config *c, const char *path, char *err, size_t n_err);

/* Read INI text held in memory (a run's stored configuration). */
int config_load_text(Config *c, const char *text, const char *origin,
                     char *err, size_t n_err);
/* The same, applying only the entries of one [section] (e.g. a stored run's
** "task" settings, read without declaring the model's and trainer's). */
int config_load_text_section(Config *c, const char *text, const char *section, const char *origin,
                             char *err, size_t n_err);

/* Check cross-key rules after all sources are applied: every set key belongs
** to the chosen owner of its section, and its value fits that owner's spec.
** Return 0, or -1 with a message. */
int config_finalize(Config *c, char *err, size_t n_err);

/* Value of section.key as text: the set value, else the applicable default.
** Return NULL if the key is not declared or does not apply. */
const char *config_get(const Config *c, const char *section, const char *key);
/* Typed getters for values already checked by config_set(); a key that is
** not declared is a programming error (assert). */
long config_int(const Config *c, const char *section, const char *key);
double config_double(const Config *c, const char *section, const char *key);
int config_bool(const Config *c, const char *section, const char *key);
const char *config_str(const Config *c, const char *section, const char *key);
/* Parse an OPT_INT_LIST value into out[0..max_n-1]; return the count. */
int config_int_list(const Config *c, const char *section, const char *key,
                    long *out, int max_n);
/* 1 if section.key was given by a file, flag or --set (not a default). */
int config_is_set(const Config *c, const char *section, const char *key);
/* The value section.key was given (and, if origin is not NULL, where from),
** whether or not it applies to the section's current owner; NULL if not
** given. For carrying settings into another Config before finalizing it. */
const char *config_given(const Config *c, const char *section, const char *key, const char **origin);

/* The spec that applies to section.key given the current owners, or NULL. */
const OptSpec *config_spec(const Config *c, const char *section, const char *key);

/* Resolved configuration as INI text: every applicable key of every section,
** in declaration order. Caller frees the string. NULL if out of memory. */
char *config_dump(const Config *c);

/* 1 if the configuration stored with a run (INI text) resolves, under c's
** declarations, to the same value of every setting as c; 0 otherwise, with
** the first difference ("model.hidden is 48 in the stored run, 96 now") or
** the reason the text does not parse in what. A setting the stored text
** lacks (it was written before the setting existed) counts as its default,
** which by this project's rule is the behaviour before the setting came.
** -1 if out of memory. */
int config_same_as_stored(const Config *c, const char *stored, char *what, size_t n_what);

/* Iterate over the declared specs (for --help and flag tables): return the
** i-th declared spec, or NULL past the end. */
const OptSpec *config_declared(const Config *c, size_t i);

/* Strict number parsing shared by every reader of text: the whole string must
** be a number. Return 0 on success, -1 otherwise. */
int parse_long(const char *s, long *out);
int parse_double(const char *s, double *out);

#endif
