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
	coalesce(c.job_id, 0), c.prev_state, c.version`

const jobCols = `j.id, j.container, j.op, j.prev_state, j.outcome, j.error,
	j.started_at, j.finished_at, j.stop_timeout, j.origin`

const jobColsNullable = `j.id, coalesce(j.container, ''), coalesce(j.op, ''), coalesce(j.prev_state, ''),
	coalesce(j.outcome, ''), coalesce(j.error, ''), coalesce(j.started_at, 0),
	coalesce(j.finished_at, 0), coalesce(j.stop_timeout, 0), coalesce(j.origin, '')`

const (
	// One container with its running job, so a page can show how long an
	// operation has been running after a reload.
	sqlContainer = `SELECT ` + containerCols + `, ` + jobColsNullable + `
		FROM containers c LEFT JOIN jobs j ON j.id = c.job_id WHERE c.name = ?`
	// Every container, and apart the jobs they carry: the join read ten
	// mostly empty columns for every row, which the scan pays at every
	// interval.
	sqlContainers  = `SELECT ` + containerCols + ` FROM containers c ORDER BY c.name`
	sqlCarriedJobs = `SELECT ` + jobCols + ` FROM jobs j JOIN containers c ON c.job_id = j.id`

	sqlInsertJob = `INSERT INTO jobs (container, op, prev_state, started_at, stop_timeout, origin)
		VALUES (?, ?, ?, ?, ?, ?)`
	sqlMarkTransitional = `UPDATE containers
		SET prev_state = state, state = ?, job_id = ?, error = '', version = version + 1
		WHERE name = ?`
	sqlEndJob = `UPDATE jobs SET outcome = ?, error = ?, finished_at = ? WHERE id = ?`
	// The outcome on the container, if it still carries the job.
	sqlFinishRunning = `UPDATE containers SET state = ?, engine_state = 'running', started_at = ?, error = '',
		job_id = NULL, version = version + 1 WHERE name = ? AND job_id = ?`
	sqlFinishStopped = `UPDATE containers SET state = ?, engine_state = 'exited', finished_at = ?, error = '',
		job_id = NULL, version = version + 1 WHERE name = ? AND job_id = ?`
	sqlRevert = `UPDATE containers SET state = prev_state, error = ?,
		job_id = NULL, version = version + 1 WHERE name = ? AND job_id = ?`

	sqlScanInsert = `INSERT INTO containers (name, id, image, state, engine_state, exit_code,
		created_at, started_at, finished_at, stop_timeout) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`
	sqlScanUpdate = `UPDATE containers SET id = ?, image = ?, state = ?, engine_state = ?,
		exit_code = ?, created_at = ?, started_at = ?, finished_at = ?, stop_timeout = ?, version = version + 1
		WHERE name = ? AND version = ? AND job_id IS NULL`
	sqlScanDelete = `DELETE FROM containers WHERE name = ? AND version = ? AND job_id IS NULL`
)

type statements struct {
	// On the write connection, for use in transactions.
	container, insertJob, markTransitional, endJob *sql.Stmt
	finishRunning, finishStopped, revert           *sql.Stmt
	scanInsert, scanUpdate, scanDelete             *sql.Stmt
	readContainer, readContainers, readCarriedJobs *sql.Stmt // on the read pool
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
		{&s.markTransitional, w, sqlMarkTransitional},
		{&s.endJob, w, sqlEndJob},
		{&s.finishRunning, w, sqlFinishRunning},
		{&s.finishStopped, w, sqlFinishStopped},
		{&s.revert, w, sqlRevert},
		{&s.scanInsert, w, sqlScanInsert},
		{&s.scanUpdate, w, sqlScanUpdate},
		{&s.scanDelete, w, sqlScanDelete},
		{&s.readContainer, r, sqlContainer},
		{&s.readContainers, r, sqlContainers},
		{&s.readCarriedJobs, r, sqlCarriedJobs},
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
