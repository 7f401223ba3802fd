-- 009_trust_store.sql - the operator's trust store for passive authentication (issue 14): the
-- CSCA certificates, CRLs and ICAO master lists `bex trust load` (or POST /v1/trust) verified
-- and stored, kept whole (bytes) so that every process builds the same in-memory trust store
-- from the live rows (removed_at NULL); a file is known by its SHA-256, so loading it twice adds
-- nothing. Removing one (a compromised CSCA withdrawn) keeps the row with when and by whom.
-- The summary columns are bex_trust_describe's: what the file added, the country its CSCAs (or
-- CRLs) name ('' for several), the latest notAfter of its CSCAs (nextUpdate for CRLs alone).
CREATE TABLE trust_files (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('csca', 'crl', 'master_list')),
    name         TEXT NOT NULL,              -- the file's base name as loaded, no path
    sha256       TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    bytes        BLOB NOT NULL,
    n_csca       INTEGER NOT NULL DEFAULT 0,
    n_crl        INTEGER NOT NULL DEFAULT 0,
    country      TEXT NOT NULL DEFAULT '',
    not_after    TEXT,
    trusted_list INTEGER NOT NULL DEFAULT 0 CHECK (trusted_list IN (0, 1)),  -- a master list the
                                             -- operator vouched for (its signer not chained)
    added_at     TEXT NOT NULL,
    added_by     TEXT NOT NULL,
    removed_at   TEXT,
    removed_by   TEXT
);
CREATE INDEX trust_files_live ON trust_files(id) WHERE removed_at IS NULL;
