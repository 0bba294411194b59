package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"podboard/lifecycle"
)

var _ lifecycle.Store = (*DB)(nil)

type scanner interface{ Scan(...any) error }

// containerRow receives the containerCols of one row.
type containerRow struct {
	c                          lifecycle.Container
	created, started, finished int64
	state, prev                string
}

func (r *containerRow) dest() []any {
	return []any{&r.c.Name, &r.c.ID, &r.c.Image, &r.state, &r.c.EngineState, &r.c.ExitCode,
		&r.created, &r.started, &r.finished, &r.c.StopTimeout, &r.c.Error,
		&r.c.JobID, &r.prev, &r.c.Version}
}

func (r *containerRow) container() lifecycle.Container {
	c := r.c
	c.State, c.PrevState = lifecycle.State(r.state), lifecycle.State(r.prev)
	c.CreatedAt, c.StartedAt, c.FinishedAt = fromNanos(r.created), fromNanos(r.started), fromNanos(r.finished)
	return c
}

// scanContainer reads containerCols followed by jobColsNullable.
func scanContainer(s scanner) (lifecycle.Container, error) {
	var (
		row                 containerRow
		jobID               sql.NullInt64
		j                   lifecycle.Job
		jStarted, jFinished int64
		jOp, jPrev, jo      string
	)
	err := s.Scan(append(row.dest(),
		&jobID, &j.Container, &jOp, &jPrev, &jo, &j.Error, &jStarted, &jFinished, &j.StopTimeout, &j.Origin)...)
	if err != nil {
		return lifecycle.Container{}, err
	}
	c := row.container()
	if jobID.Valid {
		j.ID = jobID.Int64
		j.Op, j.PrevState, j.Outcome = lifecycle.Op(jOp), lifecycle.State(jPrev), lifecycle.JobOutcome(jo)
		j.StartedAt, j.FinishedAt = fromNanos(jStarted), fromNanos(jFinished)
		c.Job = &j
	}
	return c, nil
}

func scanJob(s scanner) (lifecycle.Job, error) {
	var (
		j                 lifecycle.Job
		started, finished int64
		op, prev, outcome string
	)
	err := s.Scan(&j.ID, &j.Container, &op, &prev, &outcome, &j.Error, &started, &finished, &j.StopTimeout, &j.Origin)
	j.Op, j.PrevState, j.Outcome = lifecycle.Op(op), lifecycle.State(prev), lifecycle.JobOutcome(outcome)
	j.StartedAt, j.FinishedAt = fromNanos(started), fromNanos(finished)
	return j, err
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// getContainer reads one container with its job through stmt, the prepared
// sqlContainer of the read pool or of a write transaction.
func getContainer(ctx context.Context, stmt *sql.Stmt, name string) (lifecycle.Container, error) {
	c, err := scanContainer(stmt.QueryRowContext(ctx, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: %s", lifecycle.ErrNotFound, name)
	}
	if err != nil {
		return c, fmt.Errorf("db: unable to read container %s: %w", name, err)
	}
	return c, nil
}

// Container implements lifecycle.Store.
func (db *DB) Container(ctx context.Context, name string) (lifecycle.Container, error) {
	return getContainer(ctx, db.st.readContainer, name)
}

// Containers implements lifecycle.Store. The containers and the jobs they
// carry are read in one read transaction, so both queries see the same
// snapshot of the database.
func (db *DB) Containers(ctx context.Context) ([]lifecycle.Container, error) {
	out, err := db.containers(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: unable to list containers: %w", err)
	}
	return out, nil
}

func (db *DB) containers(ctx context.Context) ([]lifecycle.Container, error) {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.StmtContext(ctx, db.st.readContainers).QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []lifecycle.Container
	busy := map[int64]int{} // job ID → index in out
	for rows.Next() {
		var row containerRow
		if err := rows.Scan(row.dest()...); err != nil {
			return nil, err
		}
		c := row.container()
		if c.JobID != 0 {
			busy[c.JobID] = len(out)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(busy) == 0 {
		return out, nil
	}
	jobs, err := tx.StmtContext(ctx, db.st.readCarriedJobs).QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	defer jobs.Close()
	for jobs.Next() {
		j, err := scanJob(jobs)
		if err != nil {
			return nil, err
		}
		if i, ok := busy[j.ID]; ok {
			out[i].Job = &j
		}
	}
	return out, jobs.Err()
}

// BeginJob implements lifecycle.Store.
func (db *DB) BeginJob(ctx context.Context, name string, op lifecycle.Op, origin string, now time.Time) (lifecycle.Container, lifecycle.Job, error) {
	var c lifecycle.Container
	var job lifecycle.Job
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = getContainer(ctx, tx.StmtContext(ctx, db.st.container), name); err != nil {
			return err
		}
		if c.Busy() {
			return fmt.Errorf("%w: %s is already %s", lifecycle.ErrBusy, name, c.State.Label())
		}
		if !op.AllowedFrom(c.State) {
			return fmt.Errorf("%w: cannot %s %s while it is %s", lifecycle.ErrState, op, name, c.State)
		}
		job = lifecycle.Job{Container: name, Op: op, PrevState: c.State, Outcome: lifecycle.JobRunning,
			StartedAt: now, StopTimeout: c.StopTimeout, Origin: origin}
		res, err := tx.StmtContext(ctx, db.st.insertJob).ExecContext(ctx, name, op, c.State, nanos(now), c.StopTimeout, origin)
		if err != nil {
			return fmt.Errorf("db: unable to record the %s job of %s: %w", op, name, err)
		}
		if job.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, db.st.markTransitional).ExecContext(ctx, op.Transitional(), job.ID, name); err != nil {
			return fmt.Errorf("db: unable to mark %s %s: %w", name, op.Transitional(), err)
		}
		c, err = getContainer(ctx, tx.StmtContext(ctx, db.st.container), name)
		return err
	})
	if err != nil {
		return c, lifecycle.Job{}, err
	}
	return c, job, nil
}

// endJob writes the job's outcome and, if the container still carries the
// job, applies set to it: one of the prepared sqlFinish… or sqlRevert
// statements, whose last two parameters are the container and the job.
func (db *DB) endJob(ctx context.Context, job lifecycle.Job, outcome lifecycle.JobOutcome, msg string, now time.Time, set *sql.Stmt, args ...any) (c lifecycle.Container, ok bool, err error) {
	err = db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, db.st.endJob).ExecContext(ctx, outcome, msg, nanos(now), job.ID); err != nil {
			return fmt.Errorf("db: unable to end job %d: %w", job.ID, err)
		}
		res, err := tx.StmtContext(ctx, set).ExecContext(ctx, append(args, job.Container, job.ID)...)
		if err != nil {
			return fmt.Errorf("db: unable to write the outcome of job %d to %s: %w", job.ID, job.Container, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		ok = true
		c, err = getContainer(ctx, tx.StmtContext(ctx, db.st.container), job.Container)
		return err
	})
	return c, ok, err
}

// FinishJob implements lifecycle.Store. The engine's timestamps are not known
// here; the next scan brings the exact ones.
func (db *DB) FinishJob(ctx context.Context, job lifecycle.Job, final lifecycle.State, now time.Time) (lifecycle.Container, bool, error) {
	if final == lifecycle.Running {
		return db.endJob(ctx, job, lifecycle.JobSucceeded, "", now, db.st.finishRunning, final, nanos(now))
	}
	return db.endJob(ctx, job, lifecycle.JobSucceeded, "", now, db.st.finishStopped, final, nanos(now))
}

// FailJob implements lifecycle.Store.
func (db *DB) FailJob(ctx context.Context, job lifecycle.Job, msg string, now time.Time) (lifecycle.Container, bool, error) {
	return db.endJob(ctx, job, lifecycle.JobFailed, msg, now, db.st.revert, msg)
}

// DropJobContainer implements lifecycle.Store.
func (db *DB) DropJobContainer(ctx context.Context, job lifecycle.Job, msg string, now time.Time) (bool, error) {
	var ok bool
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, db.st.endJob).ExecContext(ctx, lifecycle.JobFailed, msg, nanos(now), job.ID); err != nil {
			return fmt.Errorf("db: unable to end job %d: %w", job.ID, err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM containers WHERE name = ? AND job_id = ?`, job.Container, job.ID)
		if err != nil {
			return fmt.Errorf("db: unable to drop %s: %w", job.Container, err)
		}
		n, _ := res.RowsAffected()
		ok = n > 0
		return nil
	})
	return ok, err
}

// InterruptJobs implements lifecycle.Store.
func (db *DB) InterruptJobs(ctx context.Context, msg string, now time.Time) ([]lifecycle.Job, error) {
	var jobs []lifecycle.Job
	err := db.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs j WHERE j.outcome = 'running' ORDER BY j.id`)
		if err != nil {
			return fmt.Errorf("db: unable to find running jobs: %w", err)
		}
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				rows.Close()
				return err
			}
			jobs = append(jobs, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, j := range jobs {
			if _, err := tx.StmtContext(ctx, db.st.endJob).ExecContext(ctx, lifecycle.JobInterrupted, msg, nanos(now), j.ID); err != nil {
				return fmt.Errorf("db: unable to mark job %d interrupted: %w", j.ID, err)
			}
			if _, err := tx.StmtContext(ctx, db.st.revert).ExecContext(ctx, msg, j.Container, j.ID); err != nil {
				return fmt.Errorf("db: unable to revert %s: %w", j.Container, err)
			}
			jobs[i].Outcome, jobs[i].Error, jobs[i].FinishedAt = lifecycle.JobInterrupted, msg, now
		}
		return nil
	})
	return jobs, err
}

// ClearError implements lifecycle.Store.
func (db *DB) ClearError(ctx context.Context, name string) (lifecycle.Container, bool, error) {
	var c lifecycle.Container
	var ok bool
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE containers SET error = '', version = version + 1
			WHERE name = ? AND error != ''`, name)
		if err != nil {
			return fmt.Errorf("db: unable to clear the error of %s: %w", name, err)
		}
		n, _ := res.RowsAffected()
		ok = n > 0
		c, err = getContainer(ctx, tx.StmtContext(ctx, db.st.container), name)
		return err
	})
	return c, ok, err
}

// ApplyScan implements lifecycle.Store.
func (db *DB) ApplyScan(ctx context.Context, writes []lifecycle.ScanWrite) ([]lifecycle.ScanWrite, error) {
	var landed []lifecycle.ScanWrite
	err := db.write(ctx, func(tx *sql.Tx) error {
		landed = landed[:0]
		insert, update, del := tx.StmtContext(ctx, db.st.scanInsert), tx.StmtContext(ctx, db.st.scanUpdate), tx.StmtContext(ctx, db.st.scanDelete)
		get := tx.StmtContext(ctx, db.st.container)
		for _, w := range writes {
			c := w.Container
			var (
				res sql.Result
				err error
			)
			switch w.Kind {
			case lifecycle.Insert:
				res, err = insert.ExecContext(ctx, c.Name, c.ID, c.Image, c.State, c.EngineState, c.ExitCode,
					nanos(c.CreatedAt), nanos(c.StartedAt), nanos(c.FinishedAt), c.StopTimeout)
			case lifecycle.Update:
				res, err = update.ExecContext(ctx, c.ID, c.Image, c.State, c.EngineState, c.ExitCode,
					nanos(c.CreatedAt), nanos(c.StartedAt), nanos(c.FinishedAt), c.StopTimeout, c.Name, w.Version)
			case lifecycle.Delete:
				res, err = del.ExecContext(ctx, c.Name, w.Version)
			default:
				return fmt.Errorf("db: unknown scan write %v", w.Kind)
			}
			if err != nil {
				return fmt.Errorf("db: unable to %s %s: %w", w.Kind, c.Name, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if w.Kind != lifecycle.Delete {
				if w.Container, err = getContainer(ctx, get, c.Name); err != nil {
					return err
				}
			}
			landed = append(landed, w)
		}
		return nil
	})
	return landed, err
}

// Jobs implements lifecycle.Store.
func (db *DB) Jobs(ctx context.Context, container string, limit int) ([]lifecycle.Job, error) {
	q := `SELECT ` + jobCols + ` FROM jobs j`
	args := []any{}
	if container != "" {
		q += ` WHERE j.container = ?`
		args = append(args, container)
	}
	q += ` ORDER BY j.id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("db: unable to list jobs: %w", err)
	}
	defer rows.Close()
	var jobs []lifecycle.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("db: unable to list jobs: %w", err)
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}
