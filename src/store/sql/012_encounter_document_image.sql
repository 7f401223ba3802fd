-- 012_encounter_document_image.sql - the document photo presented at an entry, kept with the
-- encounter when it does not become the document's sample (an impostor's, a chip that failed its
-- check, a document whose photo is on record already), so that an officer reviewing the flag sees
-- it beside the live capture (issue 15). Same rules as a sample's photo (rules.h:
-- bex_sample_retention): while retention "images" is above 0, for that period; a citizen's at
-- the citizens' period; kept while the encounter has an open flag; dropped by bex erase.
ALTER TABLE encounters ADD COLUMN document_image BLOB;
CREATE INDEX encounters_with_document_image ON encounters(at) WHERE document_image IS NOT NULL;
