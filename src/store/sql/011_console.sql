-- 011_console.sql - indexes for what the officer console reads (issue 15):
--  * the flag queue filtered by kind, newest first, paged by id (GET /v1/flags?kind=&before=):
--    flags_by_kind answers the filter and the order (status has flags_by_status since 003);
--  * the flag queue by creation time (?since=, ?until=): flags_by_created;
--  * the audit log searched by key (its actor, "key:ID ROLE") or by action, newest first
--    (GET /v1/audit?key=&action=&before=): audit_by_actor, audit_by_action.
CREATE INDEX flags_by_kind ON flags(kind, id);
CREATE INDEX flags_by_status_kind ON flags(status, kind, id);
CREATE INDEX flags_by_created ON flags(created_at);
CREATE INDEX audit_by_actor ON audit(actor, seq);
CREATE INDEX audit_by_action ON audit(action, seq);
