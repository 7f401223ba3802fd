-- 012_encounter_document_image.sql (PostgreSQL) - the PostgreSQL form of
-- ../012_encounter_document_image.sql: the document photo presented at an entry, kept with the
-- encounter (same retention rules as a sample's photo).
ALTER TABLE encounters ADD COLUMN document_image BYTEA;
CREATE INDEX encounters_with_document_image ON encounters(at) WHERE document_image IS NOT NULL;
