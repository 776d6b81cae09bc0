-- metarl store: the SQLite schema, version 4 (version 1 lacked `stages`,
-- version 2 `fits`, version 3 `activity_steps`; metarl adds what is missing
-- when it first writes to such a file).
--
-- One file holds any number of runs: reference-agent baselines, network
-- trainings, frozen-weight tests and imported behavioural data, so that one
-- query (or one `metarl compare`) can set them side by side.
--
-- Identification: PRAGMA application_id = 1296389202 (0x4D455452, "METR")
-- and PRAGMA user_version = 4 (the schema version). metarl refuses files with
-- another application id, or a newer schema than it knows.
--
-- Conventions: trials are numbered t = 0, 1, ... within an episode; episodes
-- 0, 1, ... within a run. Actions are 0-based (0 = first arm). Times are UTC,
-- ISO 8601. Every table is STRICT, so a wrongly typed value is an error, not a
-- silent conversion. The file is kept in WAL mode: other processes can read a
-- run while it is being written; the writer commits one batch of episodes per
-- transaction, so a reader never sees half an episode.

-- meta: facts about the file itself. store_id is drawn when the file is
-- made; metarl compares the id that the main file holds with the one seen
-- through a -wal file beside it, and refuses a -wal of another store;
-- `transactions` counts metarl's write transactions, each of which rewrites
-- this table's page, so that every WAL metarl writes holds the id.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- runs: one row per invocation that produced data.
CREATE TABLE IF NOT EXISTS runs (
    run_id     INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('baseline', 'train', 'test', 'import')),
    name       TEXT NOT NULL,            -- label shown by `metarl info`, e.g. 'thompson'
    parent_run INTEGER REFERENCES runs (run_id),
                                         -- test: the train run whose weights it froze;
                                         -- baseline beside a test: that test run
    task       TEXT NOT NULL,            -- task.name, e.g. 'bandit'
    agent      TEXT NOT NULL,            -- reference agent, 'network', or 'data'
    config     TEXT NOT NULL,            -- the resolved configuration, INI text
    seed       INTEGER NOT NULL,         -- master seed (import: 0)
    rng        TEXT NOT NULL,            -- GSL generator name, e.g. 'mt19937'
    version    TEXT NOT NULL,            -- metarl version that wrote the run
    started    TEXT NOT NULL,
    finished   TEXT,                     -- NULL while running or after a crash
    status     TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted', 'failed')),
    summary    TEXT                      -- JSON summary printed at the end (NULL until then)
) STRICT;

-- episodes: one task instance played (or one subject's session, phase 'data').
CREATE TABLE IF NOT EXISTS episodes (
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    episode      INTEGER NOT NULL,
    phase        TEXT NOT NULL CHECK (phase IN ('train', 'test', 'data')),
    subject      TEXT,                   -- subject id for imported data, else NULL
    n_trials     INTEGER NOT NULL,
    total_reward REAL NOT NULL,
    regret       REAL,                   -- sum_t max_a p_a - p_chosen; NULL if truth unknown
    instance     TEXT NOT NULL,          -- the task instance as JSON, e.g. {"p":[0.3,0.8]}
    PRIMARY KEY (run_id, episode)
) STRICT, WITHOUT ROWID;

-- trials: one row per trial. Task truth columns are what the agent did not
-- see; model columns are NULL for agents that have no such quantity.
CREATE TABLE IF NOT EXISTS trials (
    run_id         INTEGER NOT NULL,
    episode        INTEGER NOT NULL,
    t              INTEGER NOT NULL,
    action         INTEGER,              -- 0 or 1; NULL = missed trial
    reward         REAL,                 -- NULL = missed trial
    p0             REAL,                 -- true reward probability of action 0 on this trial
    p1             REAL,                 -- ... of action 1
    best           INTEGER,              -- action with the higher p; NULL on a tie or unknown
    block          INTEGER,              -- reversals so far (0 in a bandit)
    since_reversal INTEGER,              -- trials since the block began
    prob0          REAL,                 -- policy: P(action 0); NULL if the agent has no closed form
    prob1          REAL,
    value          REAL,                 -- striatal value estimate V_t (network only)
    rpe            REAL,                 -- dopamine-like RPE delta_t = r_t + gamma V_{t+1} - V_t
    PRIMARY KEY (run_id, episode, t),
    FOREIGN KEY (run_id, episode) REFERENCES episodes (run_id, episode)
) STRICT, WITHOUT ROWID;

-- stages: the stages of multi-stage trials, one row per stage (the two-step
-- task's first-stage choice, then its second-stage state and choice; Harlow's
-- fixation, then choice). The trial's own row in `trials` keeps the choice
-- that the task scores; single-stage tasks (bandit, reversal) write no rows
-- here, so they pay nothing for it.
CREATE TABLE IF NOT EXISTS stages (
    run_id   INTEGER NOT NULL,
    episode  INTEGER NOT NULL,
    t        INTEGER NOT NULL,
    stage    INTEGER NOT NULL,           -- 0, 1, ... within the trial
    state    INTEGER,                    -- the state seen at this stage (task-defined); NULL if none
    action   INTEGER,                    -- the choice at this stage; NULL for none (fixation, missed)
    reward   REAL NOT NULL,              -- reward delivered at the end of the stage
    value    REAL,                       -- V at this stage (network only)
    rpe      REAL,                       -- delta at this stage
    PRIMARY KEY (run_id, episode, t, stage),
    FOREIGN KEY (run_id, episode) REFERENCES episodes (run_id, episode)
) STRICT, WITHOUT ROWID;

-- activity and activity_steps are rowid tables with a UNIQUE key (not WITHOUT
-- ROWID like the small-row tables): SQLite compares a new key against whole
-- records, and a record of 10-200 KB spills onto overflow pages that each
-- comparison copied back (half of the recording's cost at 256 units; stores
-- made before keep their tables, which the same statements read and write).
--
-- activity: unit rates of a network, one row per episode and module. The
-- BLOB holds n_trials x n_units little-endian float32 values, row-major (all
-- units of trial 0, then trial 1, ...). Rate of unit i on trial t is at byte
-- 4 * (t * n_units + i). Read it with
--   Python: numpy.frombuffer(rates, '<f4').reshape(n_trials, n_units)
--   R:      matrix(readBin(rates, 'double', n = n_trials * n_units, size = 4,
--                          endian = 'little'), nrow = n_trials, byrow = TRUE)
--   SQL/CSV: metarl export FILE --run ID --format activity (one row per trial)
-- Two other layouts, asked for by test.activity and told apart by the BLOB's
-- length (store/rates.h): 2 bytes a value is float16 (numpy '<f2'); an odd
-- length is sparse: the 4 bytes 'SP32', a bitmap of ceil(n / 8) bytes (bit
-- i % 8 of byte i / 8 set when value i is stored, i = t * n_units + unit),
-- the stored values as float32 in order (every other value is exactly 0),
-- and a zero pad byte if needed to make the length odd. notebooks/metarl.py
-- (load_activity) and metarl export read all three.
CREATE TABLE IF NOT EXISTS activity (
    run_id   INTEGER NOT NULL,
    episode  INTEGER NOT NULL,
    module   TEXT NOT NULL CHECK (module IN ('pfc', 'striatum')),
    n_trials INTEGER NOT NULL,
    n_units  INTEGER NOT NULL,
    rates    BLOB NOT NULL,
    UNIQUE (run_id, episode, module),
    FOREIGN KEY (run_id, episode) REFERENCES episodes (run_id, episode)
) STRICT;

-- activity_steps: the prefrontal rates of a network with time within a trial
-- (model.epochs), every step of the episode, written beside `activity` (which
-- keeps the choice step of each trial) when test.activity_steps = all. Step s
-- belongs to trial s / steps_per_trial; byte s of `epochs` is its epoch
-- (0 fixation, 1 choice, 2 outcome, 3 inter-trial). The last trial's outcome
-- and inter-trial steps are never run (nothing reads them), so n_steps is
-- (n_trials - 1) x steps_per_trial + the steps up to its choice. `rates` holds
-- n_steps x n_units values laid out as in `activity` (float32, or float16 or
-- sparse when its size says so):
--   Python: numpy.frombuffer(rates, '<f4').reshape(n_steps, n_units)
CREATE TABLE IF NOT EXISTS activity_steps (
    run_id          INTEGER NOT NULL,
    episode         INTEGER NOT NULL,
    module          TEXT NOT NULL CHECK (module IN ('pfc', 'striatum')),
    n_steps         INTEGER NOT NULL,
    n_units         INTEGER NOT NULL,
    steps_per_trial INTEGER NOT NULL,
    epochs          BLOB NOT NULL,
    rates           BLOB NOT NULL,
    UNIQUE (run_id, episode, module),
    FOREIGN KEY (run_id, episode) REFERENCES episodes (run_id, episode)
) STRICT;

-- training: the learning curve, one row per training episode.
CREATE TABLE IF NOT EXISTS training (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    episode     INTEGER NOT NULL,
    reward      REAL NOT NULL,           -- total reward of the episode
    regret      REAL,                    -- as in episodes.regret
    p_best      REAL,                    -- fraction of trials that chose the best arm
    loss_policy REAL,                    -- policy-gradient loss of the episode
    loss_value  REAL,                    -- value loss, before beta_v
    entropy     REAL,                    -- mean policy entropy per trial (nats)
    grad_norm   REAL,                    -- norm of the update's gradient, before clipping
    beta_e      REAL,                    -- entropy weight in force
    wall_s      REAL,                    -- seconds since the run started
    PRIMARY KEY (run_id, episode)
) STRICT, WITHOUT ROWID;

-- checkpoints: everything needed to continue a training run bit-identically.
CREATE TABLE IF NOT EXISTS checkpoints (
    run_id    INTEGER NOT NULL REFERENCES runs (run_id),
    episode   INTEGER NOT NULL,          -- training episodes completed
    params    BLOB NOT NULL,             -- float64 parameter block (model/net.h layout)
    optimizer BLOB NOT NULL,             -- optimizer state block
    state     BLOB NOT NULL,             -- trainer counters
    created   TEXT NOT NULL,
    PRIMARY KEY (run_id, episode)
) STRICT, WITHOUT ROWID;

-- fits: cognitive models fitted to the choices of one subject (episode) of a
-- run by `metarl fit` (analysis/fit.h; the models and their parameters are
-- the table in analysis/fit_models.c). Fitting again replaces the row.
-- loglik is the log-likelihood (nats) of the subject's valid trials at the
-- fitted parameters (ML, or MAP with method 'map'; the prior is not in it);
-- heldout_loglik the sum over cv_folds contiguous blocks of trials of each
-- block's log-likelihood under the parameters fitted to the other blocks
-- (NULL without cross-validation). at_bound counts the parameters that ended
-- on a bound of their range (their value is then a limit, not an estimate).
-- No foreign key to episodes: a resumed or merged run may drop and rewrite
-- its episodes; `metarl merge` does not copy fits (fit the merged run again).
CREATE TABLE IF NOT EXISTS fits (
    run_id         INTEGER NOT NULL REFERENCES runs (run_id),
    episode        INTEGER NOT NULL,
    subject        TEXT,                 -- episodes.subject (NULL for agents)
    model          TEXT NOT NULL,        -- e.g. 'rw'
    method         TEXT NOT NULL CHECK (method IN ('ml', 'map')),
    params         TEXT NOT NULL,        -- JSON object, e.g. {"alpha":0.3,"beta":5.1}
    loglik         REAL NOT NULL,
    heldout_loglik REAL,
    cv_folds       INTEGER NOT NULL,     -- 0: no cross-validation
    n_trials       INTEGER NOT NULL,     -- valid trials in the likelihood
    n_params       INTEGER NOT NULL,
    converged      INTEGER NOT NULL,     -- 1 if the final simplex met its tolerance
    at_bound       INTEGER NOT NULL,
    PRIMARY KEY (run_id, episode, model, method)
) STRICT, WITHOUT ROWID;
