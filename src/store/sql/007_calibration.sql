-- 007_calibration.sql - calibration on the deployment's own data and the drift alarm (issue 13):
--  * calibrations, calibration_rows: an FMR -> threshold table that `bex eval calibrate --store`
--    computed from the store's templates and an operator reviewed and applied (`--apply FILE`),
--    per model, and per port or camera; the newest applied one of a scope is in force (the one
--    the drift check watches), the ones it replaced are kept with when;
--  * drift_checks: each drift check (`bex eval drift`): the window, the threshold watched, the
--    live non-mated comparisons and how many scored at or above it, the binomial tails, the
--    alarm and the flag it raised (the service's metrics export the latest);
--  * the flag kind score_drift (same rebuild as 003's and 005's);
--  * gate log lines by encounter: a capture's camera (the offline gate that took it).
CREATE TABLE calibrations (
    id          INTEGER PRIMARY KEY,
    model       TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('model', 'port', 'camera')),
    scope_key   TEXT NOT NULL DEFAULT '',  -- the port or the gate; '' for a model's
    nonmated    INTEGER NOT NULL CHECK (nonmated > 0),
    mated       INTEGER NOT NULL DEFAULT 0,
    sampled     INTEGER NOT NULL CHECK (sampled IN (0, 1)),
    seed        INTEGER NOT NULL,
    applied_at  TEXT NOT NULL,
    replaced_at TEXT,
    document    TEXT NOT NULL               -- the reviewed file as applied: counts and thresholds only
);
CREATE INDEX calibrations_in_force ON calibrations(model, scope, scope_key) WHERE replaced_at IS NULL;
CREATE TABLE calibration_rows (
    calibration_id INTEGER NOT NULL REFERENCES calibrations(id) ON DELETE CASCADE,
    target         REAL NOT NULL CHECK (target > 0 AND target <= 0.1),
    threshold      REAL NOT NULL CHECK (threshold BETWEEN -1 AND 1),
    false_matches  INTEGER NOT NULL,
    upper95        REAL,
    heldout_fmr    REAL,
    PRIMARY KEY (calibration_id, target)
) WITHOUT ROWID;

-- flags: score_drift
CREATE TABLE flags_new (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('impostor_suspected', 'two_identities',
                    'biographic_mismatch', 'document_problem', 'manifest_mismatch',
                    'document_shared', 'not_matched', 'not_on_manifest', 'document_photo_unusable',
                    'no_photo', 'outside_departure_window', 'gate_log_forged', 'gate_log_replayed',
                    'score_drift')),
    encounter_id INTEGER REFERENCES encounters(id) ON DELETE CASCADE,
    departure_id TEXT REFERENCES departures(id) ON DELETE CASCADE,
    detail       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'cleared', 'confirmed', 'referred'))
);
INSERT INTO flags_new SELECT id, kind, encounter_id, departure_id, detail, created_at, status FROM flags;
DROP TABLE flags;
ALTER TABLE flags_new RENAME TO flags;
CREATE INDEX flags_by_status ON flags(status, id);
CREATE INDEX flags_by_encounter ON flags(encounter_id);

CREATE TABLE drift_checks (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    model          TEXT NOT NULL,
    since          TEXT NOT NULL,              -- the window: live captures at or after
    calibration_id INTEGER REFERENCES calibrations(id) ON DELETE SET NULL,  -- NULL: the shipped LFW table
    fmr            REAL NOT NULL,
    threshold      REAL NOT NULL,
    comparisons    INTEGER NOT NULL,
    above          INTEGER NOT NULL,
    p_high         REAL NOT NULL,
    p_low          REAL NOT NULL,
    enough         INTEGER NOT NULL CHECK (enough IN (0, 1)),
    alarm          INTEGER NOT NULL CHECK (alarm IN (0, 1)),
    direction      INTEGER NOT NULL CHECK (direction IN (-1, 0, 1)),
    flag_id        INTEGER REFERENCES flags(id) ON DELETE SET NULL
);

CREATE INDEX gate_log_lines_by_encounter ON gate_log_lines(encounter_id);
