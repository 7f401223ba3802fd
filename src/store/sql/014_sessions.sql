-- 014_sessions.sql - the officer console's sessions (server/console.c), in the store so that
-- every service node on one database knows a session whichever node signed it in. Only the
-- BLAKE2b hash of the cookie's token is kept (never the token; the CSRF token is derived from
-- the token, so it is not kept either). A session ends --session-max after created_s,
-- --session-idle after last_s, at sign-out, and when its key is revoked.
CREATE TABLE console_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    key_id      INTEGER NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    created_s   INTEGER NOT NULL,
    last_s      INTEGER NOT NULL
);
CREATE INDEX console_sessions_by_key ON console_sessions(key_id);
