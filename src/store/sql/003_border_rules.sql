-- 003_border_rules.sql - what the border rules of src/border/ need recorded:
--  * an entry's decision (admitted, referred to secondary inspection, refused) and the terms it
--    asked for, so that an officer's later decision can admit on them;
--  * citizens' crossings and captures marked as such, so that the 12-hour deletion keys on
--    the capture, whoever the subject (a dual national keeps the visitor record);
--  * new outcomes (an unusable document photo; a citizen with nothing to compare with), new
--    flag kinds (unusable document photo, no photo, exit outside its departure's window) and a
--    flag status "referred";
--  * an admission closed by a later entry with no exit recorded;
--  * the deployment's settings; merges of two subjects found to be one person, with what moved;
--  * a retention category for unmatched exit captures (at most 12 hours: they may be a
--    citizen's).
-- Tables whose CHECK constraints change are rebuilt (SQLite's documented procedure: the
-- migration runs with foreign keys off and checks them before it commits; store.c).

-- encounters, with the entry's decision and terms, and the citizen mark
CREATE TABLE encounters_new (
    id           INTEGER PRIMARY KEY,
    subject_id   INTEGER REFERENCES subjects(id) ON DELETE CASCADE,  -- NULL: nobody matched
    document_id  INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    port         TEXT NOT NULL,
    port_kind    TEXT NOT NULL CHECK (port_kind IN ('air', 'sea', 'land', 'land-pedestrian', 'land-vehicle')),
    carrier      TEXT,
    voyage       TEXT,
    departure_id TEXT REFERENCES departures(id) ON DELETE SET NULL,
    at           TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('matched', 'not_matched', 'enrolled', 'officer_override',
                                                 'no_photo', 'document_photo_unusable', 'unverified')),
    gallery      TEXT,
    gallery_size INTEGER,
    score        REAL,
    threshold    REAL,
    decision     TEXT CHECK (decision IN ('admitted', 'referred', 'refused')),  -- entries only
    class        TEXT,                   -- the terms an entry asked for (kept for a referral)
    admit_until  TEXT,
    citizen      INTEGER NOT NULL DEFAULT 0 CHECK (citizen IN (0, 1))
);
INSERT INTO encounters_new (id, subject_id, document_id, direction, port, port_kind, carrier, voyage,
                            departure_id, at, outcome, gallery, gallery_size, score, threshold,
                            decision, class, admit_until, citizen)
SELECT e.id, e.subject_id, e.document_id, e.direction, e.port, e.port_kind, e.carrier, e.voyage,
       e.departure_id, e.at, e.outcome, e.gallery, e.gallery_size, e.score, e.threshold,
       CASE WHEN e.direction = 'entry' THEN 'admitted' END, a.class, a.admit_until,
       coalesce((SELECT s.citizen FROM subjects s WHERE s.id = e.subject_id), 0)
FROM encounters e LEFT JOIN admissions a ON a.entry_encounter_id = e.id;
DROP TABLE encounters;
ALTER TABLE encounters_new RENAME TO encounters;
CREATE INDEX encounters_by_subject ON encounters(subject_id, at);
CREATE INDEX encounters_by_time ON encounters(at);
CREATE INDEX encounters_by_document ON encounters(document_id);
CREATE INDEX encounters_referred ON encounters(id) WHERE decision = 'referred';

-- samples: a citizen's capture (deleted within 12 hours whoever the subject)
ALTER TABLE samples ADD COLUMN citizen INTEGER NOT NULL DEFAULT 0 CHECK (citizen IN (0, 1));
UPDATE samples SET citizen = 1 WHERE subject_id IN (SELECT id FROM subjects WHERE citizen = 1);
-- what the hourly purge looks for: short-lived captures (a citizen's, or nobody's yet) and photos
CREATE INDEX samples_short_lived ON samples(captured_at) WHERE citizen = 1 OR subject_id IS NULL;
CREATE INDEX samples_with_image ON samples(captured_at) WHERE image IS NOT NULL;

-- admissions closed by a later entry of the same person, no exit having been recorded
ALTER TABLE admissions ADD COLUMN superseded_by INTEGER REFERENCES encounters(id) ON DELETE SET NULL;
DROP INDEX admissions_open;
CREATE INDEX admissions_open ON admissions(subject_id)
    WHERE exit_encounter_id IS NULL AND superseded_by IS NULL;

-- flags: new kinds and the "referred" status
CREATE TABLE flags_new (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('impostor_suspected', 'two_identities',
                    'biographic_mismatch', 'document_problem', 'manifest_mismatch',
                    'document_shared', 'not_matched', 'not_on_manifest', 'document_photo_unusable',
                    'no_photo', 'outside_departure_window')),
    encounter_id INTEGER REFERENCES encounters(id) ON DELETE CASCADE,
    departure_id TEXT REFERENCES departures(id) ON DELETE CASCADE,
    detail       TEXT NOT NULL,
    created_at   TEXT NOT NULL,          -- the crossing's time; a manifest's: when loaded
    status       TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'cleared', 'confirmed', 'referred'))
);
INSERT INTO flags_new SELECT id, kind, encounter_id, departure_id, detail, created_at, status FROM flags;
DROP TABLE flags;
ALTER TABLE flags_new RENAME TO flags;
CREATE INDEX flags_by_status ON flags(status, id);
CREATE INDEX flags_by_encounter ON flags(encounter_id);

-- retention: unmatched exit captures, at most 12 hours (they may be a citizen's)
CREATE TABLE retention_new (
    category TEXT PRIMARY KEY CHECK (category IN ('citizen_biometrics', 'unmatched_captures', 'images',
                                                  'records', 'overstayer_records')),
    seconds  INTEGER NOT NULL CHECK (seconds >= 0)
);
INSERT INTO retention_new SELECT category, seconds FROM retention;
INSERT INTO retention_new VALUES ('unmatched_captures', 43200);
DROP TABLE retention;
ALTER TABLE retention_new RENAME TO retention;

-- look-ups by names and birth date (border.h: bex_border_lookup)
CREATE INDEX documents_by_birth ON documents(birth_date);

-- the deployment's settings (border.h: bex_border_settings)
CREATE TABLE settings (
    name  TEXT PRIMARY KEY CHECK (name IN ('home_state', 'departure_before_s', 'departure_after_s')),
    value TEXT NOT NULL
);
INSERT INTO settings VALUES ('home_state', 'USA'), ('departure_before_s', '43200'),
                            ('departure_after_s', '43200');

-- two subjects an officer found to be one person: what moved, so that it can be undone
CREATE TABLE merges (
    id        INTEGER PRIMARY KEY,
    kept      INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    merged    INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    undone_at TEXT
);
CREATE TABLE merge_moves (
    merge_id  INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    tbl       TEXT NOT NULL CHECK (tbl IN ('documents', 'samples', 'encounters', 'admissions', 'flag_subjects')),
    row_id    INTEGER NOT NULL,
    PRIMARY KEY (merge_id, tbl, row_id)
) WITHOUT ROWID;
