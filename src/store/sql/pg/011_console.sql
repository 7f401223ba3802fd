-- 011_console.sql (PostgreSQL) - the PostgreSQL form of ../011_console.sql: indexes for the
-- officer console's flag queue and audit search.
CREATE INDEX flags_by_kind ON flags(kind, id);
CREATE INDEX flags_by_status_kind ON flags(status, kind, id);
CREATE INDEX flags_by_created ON flags(created_at);
CREATE INDEX audit_by_actor ON audit(actor, seq);
CREATE INDEX audit_by_action ON audit(action, seq);
