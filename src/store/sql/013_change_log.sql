-- 013_change_log.sql - what each commit changed that other service nodes keep in memory: the
-- face samples of their 1:N index and the calibrations in force. Written where several nodes
-- share one database (PostgreSQL): each transaction adds its rows under the store's write lock,
-- so `seq` grows in commit order, and a node reads the rows after the last it applied before
-- each search (src/store/store.c: st_index). A single SQLite file is followed by its own
-- PRAGMA data_version instead, and this table stays empty there.
--   what: 'sample' (row_id: a sample added, changed or removed), 'index' (too much changed:
--   build the index again), 'calibration' (an apply or a revert).
CREATE TABLE change_log (
    seq     INTEGER PRIMARY KEY,
    what    TEXT NOT NULL CHECK (what IN ('sample', 'index', 'calibration')),
    row_id  INTEGER
);
CREATE INDEX change_log_by_what ON change_log(what, seq);
