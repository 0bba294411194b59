package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The statements of every action, job outcome and scan are prepared once.
// Parsing and planning one of them costs SQLite (through the pure-Go
// driver, which caches nothing) more than running it: before, two thirds of
// the time of a POST went into parsing the same SQL again.
//
// Write statements are prepared on the write pool's single connection and
// bound to a transaction with tx.StmtContext, which reuses the prepared
// statement of that connection; read statements are prepared on each read
// connection as it is first used.

const containerCols = `c.name, c.id, c.image, c.state, c.engine_state, c.exit_code,
	c.created_at, c.started_at, c.finished_at, c.stop_timeout, c.error,
	coalesce(c.job_id, 0), c.prev_state, c.version, c.waiting, c.health, c.host`

const jobCols = `j.id, j.container, j.op, j.prev_state, j.outcome, j.error,
	j.started_at, j.finished_at, j.stop_timeout, j.origin, j.note, j.host`

const jobColsNullable = `j.id, coalesce(j.container, ''), coalesce(j.op, ''), coalesce(j.prev_state, ''),
	coalesce(j.outcome, ''), coalesce(j.error, ''), coalesce(j.started_at, 0),
	coalesce(j.finished_at, 0), coalesce(j.stop_timeout, 0), coalesce(j.origin, ''), coalesce(j.note, ''), coalesce(j.host, '')`

const (
	// One container with its running job, so a page can show how long an
	// operation has been running after a reload.
	sqlContainer = `SELECT ` + containerCols + `, ` + jobColsNullable + `
		FROM containers c LEFT JOIN jobs j ON j.id = c.job_id WHERE c.host = ? AND c.name = ?`
	// Every container, and apart the jobs they carry: the join read ten
	// mostly empty columns for every row, which the scan pays at every
	// interval.
	sqlContainers  = `SELECT ` + containerCols + ` FROM containers c WHERE c.host = ? ORDER BY c.name`
	sqlCarriedJobs = `SELECT ` + jobCols + ` FROM jobs j JOIN containers c ON c.job_id = j.id WHERE c.host = ?`
	sqlRunningJobs = `SELECT ` + jobCols + ` FROM jobs j WHERE j.outcome = 'running' AND j.host = ? ORDER BY j.id`

	sqlInsertJob = `INSERT INTO jobs (host, container, op, prev_state, outcome, error, started_at, finished_at, stop_timeout, origin)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlEndJob = `UPDATE jobs SET outcome = ?, error = ?, finished_at = ?, note = ? WHERE id = ?`

	// A whole row, written only over the version it was computed from.
	sqlWriteRow = `UPDATE containers SET id = ?, image = ?, state = ?, engine_state = ?, exit_code = ?,
		created_at = ?, started_at = ?, finished_at = ?, stop_timeout = ?, error = ?,
		job_id = ?, prev_state = ?, version = ?, waiting = ?, health = ? WHERE host = ? AND name = ? AND version = ?`
	sqlInsertRow = `INSERT INTO containers (host, name, id, image, state, engine_state, exit_code,
		created_at, started_at, finished_at, stop_timeout, error, job_id, prev_state, version, waiting, health)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, name) DO NOTHING`
	sqlDeleteRow = `DELETE FROM containers WHERE host = ? AND name = ? AND version = ?`

	// At most ? jobs that ended before ? and that no container carries:
	// containers.job_id references jobs.id. The NOT IN list is built once
	// per statement (NULLs left out, or NOT IN would match nothing), and
	// the oldest jobs come first in id order, so each batch stops early.
	sqlPruneJobs = `DELETE FROM jobs WHERE id IN (
		SELECT id FROM jobs
		WHERE outcome <> 'running' AND finished_at < ?
		AND id NOT IN (SELECT job_id FROM containers WHERE job_id IS NOT NULL)
		ORDER BY id LIMIT ?)`

	sqlUser        = `SELECT name, hash, gen, created_at FROM users WHERE name = ?`
	sqlTokenByHash = `SELECT name, hash, created_at, last_used_at FROM tokens WHERE hash = ?`

	sqlSeq    = `SELECT n FROM change_seq WHERE id = 1`
	sqlSetSeq = `UPDATE change_seq SET n = ? WHERE id = 1`
)

type statements struct {
	// On the write connection, for use in transactions.
	container, insertJob, endJob                   *sql.Stmt
	writeRow, insertRow, deleteRow, seq, setSeq    *sql.Stmt
	readContainer, readContainers, readCarriedJobs *sql.Stmt // on the read pool
	readRunningJobs                                *sql.Stmt
	readUser, readToken                            *sql.Stmt // asked on every request that signs in
	all                                            []*sql.Stmt
}

func (s *statements) prepare(ctx context.Context, w, r *sql.DB) error {
	for _, p := range []struct {
		stmt **sql.Stmt
		pool *sql.DB
		sql  string
	}{
		{&s.container, w, sqlContainer},
		{&s.insertJob, w, sqlInsertJob},
		{&s.endJob, w, sqlEndJob},
		{&s.writeRow, w, sqlWriteRow},
		{&s.insertRow, w, sqlInsertRow},
		{&s.deleteRow, w, sqlDeleteRow},
		{&s.seq, w, sqlSeq},
		{&s.setSeq, w, sqlSetSeq},
		{&s.readContainer, r, sqlContainer},
		{&s.readContainers, r, sqlContainers},
		{&s.readCarriedJobs, r, sqlCarriedJobs},
		{&s.readRunningJobs, r, sqlRunningJobs},
		{&s.readUser, r, sqlUser},
		{&s.readToken, r, sqlTokenByHash},
	} {
		stmt, err := p.pool.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("db: prepare %q: %w", p.sql, err)
		}
		*p.stmt = stmt
		s.all = append(s.all, stmt)
	}
	return nil
}

func (s *statements) close() error {
	var errs []error
	for _, stmt := range s.all {
		errs = append(errs, stmt.Close())
	}
	s.all = nil
	return errors.Join(errs...)
}
