-- 015_finger_samples.sql - fingerprints (issue 17): finger samples beside the face samples, and
-- what an entry or exit did with prints.
--  * finger_samples: one row per finger position (ANSI/NIST-ITL 1-10) an entry recorded: the
--    template (bex's serialised minutiae template, src/store/fingers.c) when it enrolled, or
--    none when the finger was declared missing or failed to enrol (status says which); its
--    quality (0-100) and coded problems (finger.h: BEX_FINGER_* bits). The image is kept as a
--    face sample's is (while retention "images" is above 0, for that period). Retention, purge
--    and erasure treat these rows exactly as face samples (rules.h: bex_sample_retention):
--    a citizen's at the citizens' period, an unmatched exit's (no subject) at the unmatched
--    captures' period, kept while its encounter has an open flag; deleted with their subject.
--  * encounters.prints: whether an entry took prints (rules.h: bex_prints: taken, under_age,
--    citizen, not_required; NULL: the crossing predates prints, or an exit);
--    encounters.finger_fmr: the fused FMR when a finger decided an exit (rules.h: bex_fusion).
--  * merge_moves may move finger samples (a merge carries them with the other samples);
--  * the flag kind fingerprints_incomplete: an entry's required fingers neither taken nor
--    declared missing (same rebuild of flags as 003's, 005's, 007's and 010's).
--  * finger_samples' ids are never reused (AUTOINCREMENT; PostgreSQL's identity never is): the
--    store's in-memory 1:N galleries grow by the ids above the last they read.
CREATE TABLE finger_samples (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id   INTEGER REFERENCES subjects(id) ON DELETE CASCADE,  -- NULL: unmatched exit capture
    encounter_id INTEGER REFERENCES encounters(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL CHECK (position BETWEEN 1 AND 10),
    source       TEXT NOT NULL CHECK (source IN ('entry', 'exit', 'officer')),
    status       TEXT NOT NULL CHECK (status IN ('enrolled', 'unusable', 'missing')),
    template     BLOB,
    quality      INTEGER,
    problems     INTEGER NOT NULL DEFAULT 0,
    citizen      INTEGER NOT NULL DEFAULT 0 CHECK (citizen IN (0, 1)),
    captured_at  TEXT NOT NULL,
    image        BLOB,
    CHECK ((status = 'enrolled') = (template IS NOT NULL))
);
CREATE INDEX finger_samples_by_subject ON finger_samples(subject_id, position);
CREATE INDEX finger_samples_by_encounter ON finger_samples(encounter_id);
CREATE INDEX finger_samples_short_lived ON finger_samples(captured_at) WHERE citizen = 1 OR subject_id IS NULL;
CREATE INDEX finger_samples_with_image ON finger_samples(captured_at) WHERE image IS NOT NULL;

ALTER TABLE encounters ADD COLUMN prints TEXT CHECK (prints IS NULL OR prints IN ('taken', 'under_age', 'citizen',
    'not_required'));
ALTER TABLE encounters ADD COLUMN finger_fmr REAL;

CREATE TABLE merge_moves_new (
    merge_id  INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    tbl       TEXT NOT NULL CHECK (tbl IN ('documents', 'samples', 'encounters', 'admissions', 'flag_subjects',
                                           'finger_samples')),
    row_id    INTEGER NOT NULL,
    PRIMARY KEY (merge_id, tbl, row_id)
) WITHOUT ROWID;
INSERT INTO merge_moves_new SELECT merge_id, tbl, row_id FROM merge_moves;
DROP TABLE merge_moves;
ALTER TABLE merge_moves_new RENAME TO merge_moves;

CREATE TABLE flags_new (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('impostor_suspected', 'two_identities',
                    'biographic_mismatch', 'document_problem', 'manifest_mismatch',
                    'document_shared', 'not_matched', 'not_on_manifest', 'document_photo_unusable',
                    'no_photo', 'outside_departure_window', 'gate_log_forged', 'gate_log_replayed',
                    'score_drift', 'chip_data_group_altered', 'chip_signature_invalid',
                    'chip_unknown_signer', 'chip_expired_signer', 'chip_revoked', 'chip_malformed',
                    'chip_mrz_mismatch', 'chip_authentication_failed', 'fingerprints_incomplete')),
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
CREATE INDEX flags_by_kind ON flags(kind, id);
CREATE INDEX flags_by_status_kind ON flags(status, kind, id);
CREATE INDEX flags_by_created ON flags(created_at);
