/* analysis/import.h: behavioural choice data from text files into episodes.
**
** Reads a table with one row per trial (subject, trial, choice, outcome and
** optionally the currently correct option or block) into one EpisodeRecord
** per subject, so that human and animal data sit in the store beside agents
** and every analysis runs on them alike. Missed trials (empty, NA or NaN
** choice) are kept as missing (action -1).
**
** The whole file is parsed and checked before anything is returned: a
** malformed line gives "FILE:LINE:COLUMN: what was expected" and no episodes.
*/
#ifndef METARL_IMPORT_H
#define METARL_IMPORT_H

#include <stddef.h>
#include <stdio.h>

#include "core/episode.h"

typedef struct ImportSpec {
    char delimiter;             /* ',' or '\t' */
    const char *subject_col;    /* column names, matched against the header */
    const char *trial_col;      /* NULL: rows are trials in file order */
    const char *choice_col;
    const char *reward_col;
    const char *correct_col;    /* NULL: none; else the currently better option, coded like choices */
    const char *block_col;      /* NULL: none; else a block index (integer) */
    const char *choice_codes[2];   /* text of the first and second option, e.g. "1","2" */
    const char *reward_codes[2];   /* text meaning rewarded and unrewarded, e.g. "1","-1" */
    double p_high, p_low;       /* known reward probabilities of the correct/other option; NaN = unknown */
} ImportSpec;

/* The layout hBayesDM's bandit2arm models read: tab-separated,
** subjID trial choice outcome, choice 1/2, outcome 1 (reward) or -1 (or 0). */
void import_spec_hbayesdm(ImportSpec *s);
/* Comma-separated with columns subject, trial, choice, reward; choice 1/2,
** reward 1 or 0; override any field afterwards. */
void import_spec_csv(ImportSpec *s);

/* Parse path into *eps (one record per subject, in order of first
** appearance). Return 0, or -1 with "FILE:LINE:COLUMN: ..." in err and
** nothing allocated. Free with import_free(). */
int import_read(const char *path, const ImportSpec *spec, EpisodeRecord ***eps, int *n_eps,
                char *err, size_t n_err);
void import_free(EpisodeRecord **eps, int n);

/* The layout of hBayesDM's two-step models (ts_*): tab-separated with a
** header naming subjID, trial, level1_choice (1/2: the first-stage options
** A1, A2), level2_choice (1..4: options 1, 2 in state B, which A1 leads to
** commonly; 3, 4 in state C, A2's common state) and reward (1/0); other
** columns (A1prob ...) are ignored. One episode per subject: trial t
** (0-based) is the file's trial number t + 1; numbers a subject's rows skip
** (hBayesDM drops missed trials) become missed trials (action -1), so stays
** are counted on consecutive trials only. Each trial: action = level1_choice
** - 1, reward; two stage rows: stage 0 (state 0, that action, reward 0) and
** stage 1 (state 1 for options 1-2, 2 for 3-4; action = the option within
** its state, 0/1; the reward), so common = (state == 1 + action) as in
** tasks/twostep.c. NA in level1_choice marks a missed trial. Return 0, or -1
** with "FILE:LINE:COLUMN: ..." in err and nothing allocated. */
int import_read_twostep(const char *path, EpisodeRecord ***eps, int *n_eps, char *err, size_t n_err);
/* 1 if the first non-blank line of path is a tab-separated header naming
** level1_choice and level2_choice (the hBayesDM two-step layout), else 0
** (also when the file cannot be read: import_read says why). */
int import_is_twostep(const char *path);
int import_stream_twostep(FILE *f, const char *path, EpisodeRecord ***eps, int *n_eps, char *err, size_t n_err);

/* The same from an open stream; `path` names it in messages. */
int import_stream(FILE *f, const char *path, const ImportSpec *spec, EpisodeRecord ***eps, int *n_eps,
                  char *err, size_t n_err);

#endif
