-- 010_chip_check.sql (PostgreSQL) - the PostgreSQL form of ../010_chip_check.sql: the chip check
-- of an entry (encounters.chip_check, one word; chip_detail, JSON text) and the flag kinds chip_*.
ALTER TABLE encounters ADD COLUMN chip_check TEXT CHECK (chip_check IS NULL OR chip_check IN ('no_chip',
    'authentic', 'data_group_altered', 'signature_invalid', 'unknown_signer', 'expired_signer', 'revoked',
    'malformed', 'mrz_mismatch', 'authentication_failed'));
ALTER TABLE encounters ADD COLUMN chip_detail TEXT;

ALTER TABLE flags DROP CONSTRAINT flags_kind_check;
ALTER TABLE flags ADD CONSTRAINT flags_kind_check CHECK (kind IN ('impostor_suspected', 'two_identities',
    'biographic_mismatch', 'document_problem', 'manifest_mismatch',
    'document_shared', 'not_matched', 'not_on_manifest', 'document_photo_unusable',
    'no_photo', 'outside_departure_window', 'gate_log_forged', 'gate_log_replayed',
    'score_drift', 'chip_data_group_altered', 'chip_signature_invalid',
    'chip_unknown_signer', 'chip_expired_signer', 'chip_revoked', 'chip_malformed',
    'chip_mrz_mismatch', 'chip_authentication_failed'));
