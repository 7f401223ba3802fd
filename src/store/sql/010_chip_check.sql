-- 010_chip_check.sql - the ePassport chip presented at an entry (issue 14):
--  * encounters.chip_check: what the document check found, one word an officer filters on:
--    'no_chip' (a document read without its chip), 'authentic', or the first failure
--    ('data_group_altered', 'signature_invalid', 'unknown_signer', 'expired_signer', 'revoked',
--    'malformed', 'mrz_mismatch', 'authentication_failed'); NULL for exits and for entries
--    recorded before this migration;
--  * encounters.chip_detail: the check as JSON (passive authentication's outcome and message,
--    hash algorithm, the signer's country and serial, whether a CRL was consulted, the groups
--    checked, DG1 against the printed MRZ, Active and Chip Authentication as the reader
--    reported them): no name, no document number, no photo;
--  * the flag kinds chip_* (same rebuild as 003's, 005's and 007's).
ALTER TABLE encounters ADD COLUMN chip_check TEXT CHECK (chip_check IS NULL OR chip_check IN ('no_chip',
    'authentic', 'data_group_altered', 'signature_invalid', 'unknown_signer', 'expired_signer', 'revoked',
    'malformed', 'mrz_mismatch', 'authentication_failed'));
ALTER TABLE encounters ADD COLUMN chip_detail TEXT;

CREATE TABLE flags_new (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('impostor_suspected', 'two_identities',
                    'biographic_mismatch', 'document_problem', 'manifest_mismatch',
                    'document_shared', 'not_matched', 'not_on_manifest', 'document_photo_unusable',
                    'no_photo', 'outside_departure_window', 'gate_log_forged', 'gate_log_replayed',
                    'score_drift', 'chip_data_group_altered', 'chip_signature_invalid',
                    'chip_unknown_signer', 'chip_expired_signer', 'chip_revoked', 'chip_malformed',
                    'chip_mrz_mismatch', 'chip_authentication_failed')),
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
