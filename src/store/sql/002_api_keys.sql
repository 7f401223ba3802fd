-- 002_api_keys.sql - API keys for `bex serve`. A key is shown once when made and stored only as
-- its SHA-256; each has a role (what it may do) and, for a carrier, the carrier code it is
-- scoped to. Revoked keys stay, for the audit log's sake.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    hash        BLOB NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('officer', 'carrier', 'analyst', 'auditor', 'admin')),
    carrier     TEXT,
    label       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    CHECK ((role = 'carrier') = (carrier IS NOT NULL))
);
