-- 004_carrier_ownership.sql (PostgreSQL) - the PostgreSQL form of ../004_carrier_ownership.sql:
-- each manifest traveller's position on its manifest (1-based) and whether it was verified
-- against the document on record; travellers loaded before are numbered and verified here.
ALTER TABLE manifest_entries ADD COLUMN position BIGINT;
ALTER TABLE manifest_entries ADD COLUMN verified BIGINT NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
UPDATE manifest_entries SET position = (SELECT count(*) FROM manifest_entries o
                                        WHERE o.departure_id = manifest_entries.departure_id
                                          AND o.id <= manifest_entries.id);
UPDATE manifest_entries SET verified = 1
WHERE document_id IS NOT NULL AND birth_date IS NOT NULL AND EXISTS (
    SELECT 1 FROM documents d WHERE d.id = manifest_entries.document_id
       AND upper(d.surname) = upper(manifest_entries.surname)
       AND upper(d.given_names) = upper(manifest_entries.given_names)
       AND d.birth_date = manifest_entries.birth_date);
