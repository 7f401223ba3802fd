-- 008_encounter_calibration.sql - each crossing records the operating point its face decision
-- was taken at and the calibration that set the threshold (issue 13: thresholds come from a
-- calibration an operator applied to the store, per model or per port, or from the shipped
-- table): an auditor can tell which table decided every crossing, also after the calibration
-- in force has changed. NULL on crossings recorded before this migration and on those with no
-- face comparison; calibration_id NULL with an operating point: the shipped table.
ALTER TABLE encounters ADD COLUMN operating_point TEXT;
ALTER TABLE encounters ADD COLUMN calibration_id INTEGER REFERENCES calibrations(id);
