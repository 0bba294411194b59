// Package db stores the dashboard's containers and jobs in SQLite (through
// the pure-Go modernc.org/sqlite driver). It implements lifecycle.Store:
// every method is one transaction and every state write is compare-and-set.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"podboard/lifecycle"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the dashboard's database. Writes go through a pool of one
// connection whose transactions begin IMMEDIATE, so writers queue in Go
// rather than failing with SQLITE_BUSY; reads use their own read-only pool
// and, thanks to WAL, never wait for a writer.
//
// A DB reads and writes the containers and jobs of one Podman host: the
// one Open returns, those of DefaultHost; Host returns the same database
// for another host.
type DB struct {
	w, r *sql.DB
	path string
	st   *statements
	host string
}

// DefaultHost is the host of a dashboard of one Podman, and of every row
// stored before there were hosts.
const DefaultHost = lifecycle.DefaultHost

// Host is the database for the containers and jobs of the named host. It
// shares db's connections: close db only.
func (db *DB) Host(name string) *DB {
	h := *db
	h.host = name
	return &h
}

// HostName is the host this DB reads and writes for.
func (db *DB) HostName() string { return db.host }

// Open opens (creating if needed) the database file at path and applies the
// migrations it has not seen yet.
func Open(ctx context.Context, file string) (*DB, error) {
	// WAL with synchronous=NORMAL keeps every committed transaction when the
	// process is killed; only a power loss can cost the last commits.
	pragmas := []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, extra...) {
			q.Add("_pragma", p)
		}
		return "file:" + file + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	db := &DB{w: w, path: file, st: &statements{}, host: DefaultHost}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open %s for reading: %w", file, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4) // keep them, and the statements prepared on them
	db.r = r
	if err := db.st.prepare(ctx, w, r); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.st.close(), db.r.Close(), db.w.Close())
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// migrate applies the embedded migrations in order, each in its own
// transaction together with the record that it was applied.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("db: unable to create schema_migrations (is %s a dashboard database?): %w", db.path, err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := path.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("db: migration %s has no number", base)
		}
		if err := db.apply(ctx, version, name); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) apply(ctx context.Context, version int, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("db: unable to apply migration %s: %w", path.Base(name), err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, version, path.Base(name))
		return err
	})
}

// write runs fn in one write transaction.
func (db *DB) write(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}
