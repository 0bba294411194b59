-- The people who may sign in. hash is an argon2id PHC string. gen starts
-- at the creation time and grows with every password change: a session
-- records the gen it signed in with, so changing a password, or deleting
-- the user (even to create it again), ends its sessions, whichever process
-- made the change.
CREATE TABLE users (
	name       TEXT PRIMARY KEY,
	hash       TEXT NOT NULL,
	gen        INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL
) STRICT;

-- Bearer tokens for scripts. Only the SHA-256 of a token is kept: the
-- token itself is shown once, when it is made.
CREATE TABLE tokens (
	name         TEXT PRIMARY KEY,
	hash         TEXT NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Browser sessions, in the layout of scs's sqlite3store (expiry is a
-- Julian day). token is the SHA-256 of the cookie's value.
CREATE TABLE sessions (
	token  TEXT PRIMARY KEY,
	data   BLOB NOT NULL,
	expiry REAL NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
