-- 004_carrier_ownership.sql - what carriers may learn (issue 12, docs/records.md "Carriers"):
--  * each manifest traveller keeps its position on the manifest (1-based): a gate's gallery
--    file names travellers by it, never by a store subject id;
--  * each keeps whether it was verified: its names and birth date agree with the document on
--    record (rules.h: bex_manifest_check). Only verified travellers contribute templates to
--    the departure's gallery and to the exit's manifest and port galleries; a carrier that
--    lists someone's passport number learns nothing of them unless it also has their names
--    and birth date as recorded.
-- Travellers loaded before this migration are verified here only when their names agree with
-- the document exactly (letter case aside) and the birth date is given and equal; a spelling
-- variant waits for the carrier's next manifest, which checks it as names.h does.
-- Ownership needs no column: departures.carrier is the carrier that first declared the
-- departure (a later manifest of another carrier is refused; an admin reassigns).

ALTER TABLE manifest_entries ADD COLUMN position INTEGER;
ALTER TABLE manifest_entries ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
UPDATE manifest_entries SET position = (SELECT count(*) FROM manifest_entries o
                                        WHERE o.departure_id = manifest_entries.departure_id
                                          AND o.id <= manifest_entries.id);
UPDATE manifest_entries SET verified = 1
WHERE document_id IS NOT NULL AND birth_date IS NOT NULL AND EXISTS (
    SELECT 1 FROM documents d WHERE d.id = manifest_entries.document_id
       AND upper(d.surname) = upper(manifest_entries.surname)
       AND upper(d.given_names) = upper(manifest_entries.given_names)
       AND d.birth_date = manifest_entries.birth_date);
