-- 001_init.sql - bex's record store, first schema: travellers, documents, biometric samples,
-- encounters, admissions, manifests, flags, retention rules and the hash-chained audit log.
-- Migrations run in order, each in one transaction, and set PRAGMA user_version to their number
-- (src/store/store.c). Never edit a migration that has shipped: add the next number.
--
-- Dates and times are ISO 8601 text in UTC ("2026-11-27T14:05:00Z"; dates "2026-11-27").
-- Personal data: names, birth dates, document numbers, templates and images. The audit log holds
-- only row ids.

-- A person as bex knows them. One person holding two identities is two subjects tied by a flag.
CREATE TABLE subjects (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    citizen     INTEGER NOT NULL DEFAULT 0 CHECK (citizen IN (0, 1)) -- exempt: never enrolled
);

-- Travel documents as read from their MRZ; several per subject (renewals, second nationality).
CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    subject_id     INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    type           TEXT NOT NULL,          -- MRZ document code: P, PA, I, ID, V, ...
    format         TEXT NOT NULL,          -- TD1, TD2, TD3, MRV-A, MRV-B, fields
    issuing_state  TEXT NOT NULL,
    number         TEXT NOT NULL,
    nationality    TEXT NOT NULL,
    surname        TEXT NOT NULL,
    given_names    TEXT NOT NULL,
    birth_date     TEXT,
    sex            TEXT CHECK (sex IN ('M', 'F', 'X')),
    expiry_date    TEXT,
    checks_failed  TEXT,                   -- names of failed MRZ check digits, comma-separated
    created_at     TEXT NOT NULL,
    UNIQUE (subject_id, issuing_state, number)
);
CREATE INDEX documents_by_number ON documents(number, issuing_state);

-- Border crossings, one row each: the capture, where, when, and what the matcher decided.
CREATE TABLE encounters (
    id           INTEGER PRIMARY KEY,
    subject_id   INTEGER REFERENCES subjects(id) ON DELETE CASCADE,  -- NULL: nobody matched
    document_id  INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    port         TEXT NOT NULL,
    port_kind    TEXT NOT NULL CHECK (port_kind IN ('air', 'sea', 'land', 'land-pedestrian', 'land-vehicle')),
    carrier      TEXT,
    voyage       TEXT,                   -- flight, sailing or lane
    departure_id TEXT REFERENCES departures(id) ON DELETE SET NULL,
    at           TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('matched', 'not_matched', 'enrolled',
                                                 'officer_override', 'no_photo')),
    gallery      TEXT,                   -- which gallery decided: document, manifest, port, ...
    gallery_size INTEGER,
    score        REAL,
    threshold    REAL
);
CREATE INDEX encounters_by_subject ON encounters(subject_id, at);
CREATE INDEX encounters_by_time ON encounters(at);
CREATE INDEX encounters_by_document ON encounters(document_id);

-- Face templates (and, where policy keeps it, the image): from documents, visas, crossings, officers.
CREATE TABLE samples (
    id           INTEGER PRIMARY KEY,
    subject_id   INTEGER REFERENCES subjects(id) ON DELETE CASCADE,  -- NULL: unmatched exit capture
    encounter_id INTEGER REFERENCES encounters(id) ON DELETE CASCADE,
    modality     TEXT NOT NULL DEFAULT 'face' CHECK (modality IN ('face', 'fingerprint', 'dna')),
    source       TEXT NOT NULL CHECK (source IN ('document', 'visa', 'entry', 'exit', 'officer')),
    model        TEXT NOT NULL,          -- template's model and alignment
    template     BLOB NOT NULL,
    quality      REAL,
    captured_at  TEXT NOT NULL,
    image        BLOB
);
CREATE INDEX samples_by_subject ON samples(subject_id);
CREATE INDEX samples_by_encounter ON samples(encounter_id);

-- The terms of an entry; closed by the exit linked to it.
CREATE TABLE admissions (
    id                 INTEGER PRIMARY KEY,
    subject_id         INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    entry_encounter_id INTEGER NOT NULL UNIQUE REFERENCES encounters(id) ON DELETE CASCADE,
    class              TEXT NOT NULL,    -- B1, B2, WT, F1, H1B, LPR, ...
    admit_until        TEXT,             -- NULL: duration of status (D/S)
    exit_encounter_id  INTEGER UNIQUE REFERENCES encounters(id) ON DELETE SET NULL
);
CREATE INDEX admissions_open ON admissions(subject_id) WHERE exit_encounter_id IS NULL;

-- Departures and arrivals announced by carriers (APIS-like), with their expected travellers.
CREATE TABLE departures (
    id         TEXT PRIMARY KEY,         -- carrier's key, e.g. "BA117-2026-11-27"
    direction  TEXT NOT NULL CHECK (direction IN ('departure', 'arrival')),
    carrier    TEXT NOT NULL,
    voyage     TEXT NOT NULL,
    port       TEXT NOT NULL,
    port_kind  TEXT NOT NULL CHECK (port_kind IN ('air', 'sea', 'land', 'land-pedestrian', 'land-vehicle')),
    scheduled  TEXT NOT NULL,
    loaded_at  TEXT NOT NULL
);
CREATE INDEX departures_by_port ON departures(port, scheduled);

CREATE TABLE manifest_entries (
    id             INTEGER PRIMARY KEY,
    departure_id   TEXT NOT NULL REFERENCES departures(id) ON DELETE CASCADE,
    issuing_state  TEXT NOT NULL,
    number         TEXT NOT NULL,
    nationality    TEXT,
    surname        TEXT NOT NULL,
    given_names    TEXT NOT NULL,
    birth_date     TEXT,
    sex            TEXT,
    document_id    INTEGER REFERENCES documents(id) ON DELETE SET NULL,  -- the document on record
    UNIQUE (departure_id, issuing_state, number)
);
CREATE INDEX manifest_by_document ON manifest_entries(document_id);

-- Findings for an officer: impostor suspected, two identities, biographic mismatch, document problem,
-- manifest mismatch, document shared by two faces, unmatched exit.
CREATE TABLE flags (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('impostor_suspected', 'two_identities',
                    'biographic_mismatch', 'document_problem', 'manifest_mismatch',
                    'document_shared', 'not_matched', 'not_on_manifest')),
    encounter_id INTEGER REFERENCES encounters(id) ON DELETE CASCADE,
    departure_id TEXT REFERENCES departures(id) ON DELETE CASCADE,
    detail       TEXT NOT NULL,          -- what was compared and the failing fields; no names
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cleared', 'confirmed'))
);
CREATE TABLE flag_subjects (
    flag_id    INTEGER NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
    subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    PRIMARY KEY (flag_id, subject_id)
) WITHOUT ROWID;
CREATE TABLE flag_documents (
    flag_id     INTEGER NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    PRIMARY KEY (flag_id, document_id)
) WITHOUT ROWID;
CREATE INDEX flag_subjects_by_subject ON flag_subjects(subject_id);

-- How long each category of personal data is kept, in seconds (bex purge enforces it).
CREATE TABLE retention (
    category TEXT PRIMARY KEY CHECK (category IN ('citizen_biometrics', 'images', 'records',
                                                  'overstayer_records')),
    seconds  INTEGER NOT NULL CHECK (seconds >= 0)
);
-- US defaults: citizens' photos and templates within 12 hours; non-citizens' records 75 years
-- (DHS). The EU's EES keeps 3 years, 5 for overstayers: bex purge --policy eu.
INSERT INTO retention VALUES ('citizen_biometrics', 43200), ('images', 0),
                             ('records', 2366820000), ('overstayer_records', 2366820000);

-- Every read and write of personal data, append-only and hash-chained:
-- hash = SHA-256(prev hash || seq|at|actor|action|object|detail).
CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    object  TEXT NOT NULL,               -- row ids only ("encounter 7 subject 3")
    detail  TEXT NOT NULL,
    prev    BLOB NOT NULL,
    hash    BLOB NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
