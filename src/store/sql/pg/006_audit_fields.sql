-- 006_audit_fields.sql (PostgreSQL) - the PostgreSQL form of ../006_audit_fields.sql: each audit
-- row's hash version (1: fields joined with '|'; 2: each field hashed with its length before it).
-- Adding a column with a constant default rewrites no row and fires no UPDATE trigger.
ALTER TABLE audit ADD COLUMN hash_version BIGINT NOT NULL DEFAULT 1 CHECK (hash_version IN (1, 2));
