-- 005_gate_devices.sql - offline gates as registered devices (issue 12, "gallery files and gate
-- logs are protected end to end"):
--  * gate_devices: each gate's public keys (Ed25519 for its log lines, X25519 for the gallery
--    files sealed to it), its port, when it was registered and revoked, and the last log
--    sequence number `bex sync` accepted from it (strictly increasing per device);
--  * gate_log_lines: each accepted line's sequence number and the BLAKE2b-256 of its bytes, so that
--    the same log synced again is recognised line by line (nothing recorded twice, not flagged)
--    while another line with a used number, or an older number never seen, is a replay;
--  * service_keys: the service's own key pairs (made on first use; the secrets stay in the
--    store, which holds the templates they protect anyway): Ed25519 signs gallery files,
--    X25519 opens the templates gates seal into their log lines;
--  * flag kinds gate_log_forged and gate_log_replayed; the setting gallery_window_s (how long
--    after its departure's scheduled time a gallery file may still be used; default 12 hours).
-- Numbered 005 so that it applies after 004, whether or not a store has one: migrations apply
-- in number order and user_version records the last.
CREATE TABLE gate_devices (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 31),
    port        TEXT,
    sign_public BLOB NOT NULL CHECK (length(sign_public) = 32),
    box_public  BLOB NOT NULL CHECK (length(box_public) = 32),
    last_seq    INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE gate_log_lines (
    device_id    INTEGER NOT NULL REFERENCES gate_devices(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    line_hash    BLOB NOT NULL CHECK (length(line_hash) = 32),
    encounter_id INTEGER REFERENCES encounters(id) ON DELETE SET NULL,
    synced_at    TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;

CREATE TABLE service_keys (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    sign_public BLOB NOT NULL CHECK (length(sign_public) = 32),
    sign_secret BLOB NOT NULL CHECK (length(sign_secret) = 64),
    box_public  BLOB NOT NULL CHECK (length(box_public) = 32),
    box_secret  BLOB NOT NULL CHECK (length(box_secret) = 32),
    created_at  TEXT NOT NULL
);

-- flags: the gate log's kinds (same rebuild as 003's)
CREATE TABLE flags_new (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('impostor_suspected', 'two_identities',
                    'biographic_mismatch', 'document_problem', 'manifest_mismatch',
                    'document_shared', 'not_matched', 'not_on_manifest', 'document_photo_unusable',
                    'no_photo', 'outside_departure_window', 'gate_log_forged', 'gate_log_replayed')),
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

-- settings: gallery_window_s
CREATE TABLE settings_new (
    name  TEXT PRIMARY KEY CHECK (name IN ('home_state', 'departure_before_s', 'departure_after_s',
                                           'gallery_window_s')),
    value TEXT NOT NULL
);
INSERT INTO settings_new SELECT name, value FROM settings;
INSERT INTO settings_new VALUES ('gallery_window_s', '43200');
DROP TABLE settings;
ALTER TABLE settings_new RENAME TO settings;
