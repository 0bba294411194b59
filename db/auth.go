package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned for a user or token that does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when adding a user or token whose name is taken.
var ErrExists = errors.New("already exists")

// User is a person who may sign in.
type User struct {
	Name    string
	Hash    string // argon2id, PHC format
	Gen     int64  // grows with every password change
	Created time.Time
}

// Token is a bearer token for scripts; Hash is the SHA-256 of the token.
type Token struct {
	Name     string
	Hash     string
	Created  time.Time
	LastUsed time.Time // zero when never used
}

// AddUser stores a new user. Its Gen starts at the time of creation, so
// that a user deleted and created again under the same name never has the
// Gen of a session of the first one.
func (db *DB) AddUser(ctx context.Context, name, hash string, now time.Time) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (name, hash, gen, created_at) VALUES (?, ?, ?, ?)`, name, hash, nanos(now), nanos(now))
		return uniqueErr(err, "user", name)
	})
}

// SetPassword replaces a user's hash and bumps its Gen.
func (db *DB) SetPassword(ctx context.Context, name, hash string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET hash = ?, gen = gen + 1 WHERE name = ?`, hash, name)
		return affected(res, err, "user", name)
	})
}

// DeleteUser removes a user.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE name = ?`, name)
		return affected(res, err, "user", name)
	})
}

// User returns the user called name, or ErrNotFound.
func (db *DB) User(ctx context.Context, name string) (User, error) {
	var u User
	var created int64
	err := db.st.readUser.QueryRowContext(ctx, name).Scan(&u.Name, &u.Hash, &u.Gen, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("db: user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("db: read user %q: %w", name, err)
	}
	u.Created = fromNanos(created)
	return u, nil
}

// Users returns every user, ordered by name, without their hashes.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, gen, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("db: list users: %w", err)
	}
	defer rows.Close()
	var us []User
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(&u.Name, &u.Gen, &created); err != nil {
			return nil, fmt.Errorf("db: list users: %w", err)
		}
		u.Created = fromNanos(created)
		us = append(us, u)
	}
	return us, rows.Err()
}

// CountUsers is how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count users: %w", err)
	}
	return n, nil
}

// AddToken stores a new token under name.
func (db *DB) AddToken(ctx context.Context, name, hash string, now time.Time) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (name, hash, created_at) VALUES (?, ?, ?)`, name, hash, nanos(now))
		return uniqueErr(err, "token", name)
	})
}

// DeleteToken removes the token called name.
func (db *DB) DeleteToken(ctx context.Context, name string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE name = ?`, name)
		return affected(res, err, "token", name)
	})
}

// TokenByHash returns the token whose hash is hash, or ErrNotFound.
func (db *DB) TokenByHash(ctx context.Context, hash string) (Token, error) {
	t, err := scanToken(db.st.readToken.QueryRowContext(ctx, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("db: token: %w", ErrNotFound)
	}
	if err != nil {
		return Token{}, fmt.Errorf("db: read token: %w", err)
	}
	return t, nil
}

// Tokens returns every token, ordered by name.
func (db *DB) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, hash, created_at, last_used_at FROM tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("db: list tokens: %w", err)
	}
	defer rows.Close()
	var ts []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list tokens: %w", err)
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// TouchToken records that the token called name was used at now.
func (db *DB) TouchToken(ctx context.Context, name string, now time.Time) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE name = ?`, nanos(now), name)
		return err
	})
}

func scanToken(s scanner) (Token, error) {
	var t Token
	var created, used int64
	err := s.Scan(&t.Name, &t.Hash, &created, &used)
	t.Created, t.LastUsed = fromNanos(created), fromNanos(used)
	return t, err
}

// SessionStore is the scs store of browser sessions. scs's store takes
// one pool for its reads and writes, so it is the write connection (the
// read pool is read-only); a session is read on every signed-in request
// and written at sign-in, sign-out and once a minute of use. Call its
// StopCleanup before closing the database.
func (db *DB) SessionStore(cleanup time.Duration) *sqlite3store.SQLite3Store {
	return sqlite3store.NewWithCleanupInterval(db.w, cleanup)
}

var _ scs.IterableStore = (*sqlite3store.SQLite3Store)(nil)

func uniqueErr(err error, what, name string) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return fmt.Errorf("db: %s %q: %w", what, name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("db: add %s %q: %w", what, name, err)
	}
	return nil
}

func affected(res sql.Result, err error, what, name string) error {
	if err != nil {
		return fmt.Errorf("db: %s %q: %w", what, name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("db: %s %q: %w", what, name, err)
	} else if n == 0 {
		return fmt.Errorf("db: %s %q: %w", what, name, ErrNotFound)
	}
	return nil
}
