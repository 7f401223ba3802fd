-- 008_encounter_calibration.sql (PostgreSQL) - the PostgreSQL form of
-- ../008_encounter_calibration.sql: each crossing's operating point and the calibration that set
-- its threshold (no ON DELETE action, as in SQLite: NO ACTION).
ALTER TABLE encounters ADD COLUMN operating_point TEXT;
ALTER TABLE encounters ADD COLUMN calibration_id BIGINT REFERENCES calibrations(id);
