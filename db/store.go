package db

import (
	"cmp"
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
		&r.c.JobID, &r.prev, &r.c.Version, &r.c.Waiting, &r.c.Health, &r.c.Host}
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
		&jobID, &j.Container, &jOp, &jPrev, &jo, &j.Error, &jStarted, &jFinished, &j.StopTimeout, &j.Origin, &j.Note, &j.Host)...)
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
	err := s.Scan(&j.ID, &j.Container, &op, &prev, &outcome, &j.Error, &started, &finished, &j.StopTimeout, &j.Origin, &j.Note, &j.Host)
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
func getContainer(ctx context.Context, stmt *sql.Stmt, host, name string) (lifecycle.Container, error) {
	c, err := scanContainer(stmt.QueryRowContext(ctx, host, name))
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
	return getContainer(ctx, db.st.readContainer, db.host, name)
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
	rows, err := tx.StmtContext(ctx, db.st.readContainers).QueryContext(ctx, db.host)
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
	jobs, err := tx.StmtContext(ctx, db.st.readCarriedJobs).QueryContext(ctx, db.host)
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

// change is one write transaction: statements bound to it and the change
// sequence, read at its first use and stored back at commit.
type change struct {
	ctx  context.Context
	tx   *sql.Tx
	st   *statements
	host string // the host whose rows it writes
	seq  int64
	used bool
}

// change runs fn in one write transaction that may take sequence numbers.
func (db *DB) change(ctx context.Context, fn func(*change) error) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		ch := &change{ctx: ctx, tx: tx, st: db.st, host: db.host}
		if err := fn(ch); err != nil {
			return err
		}
		if !ch.used {
			return nil
		}
		if _, err := ch.stmt(db.st.setSeq).ExecContext(ctx, ch.seq); err != nil {
			return fmt.Errorf("db: unable to store the change sequence: %w", err)
		}
		return nil
	})
}

func (ch *change) stmt(s *sql.Stmt) *sql.Stmt { return ch.tx.StmtContext(ch.ctx, s) }

// next takes the next value of the change sequence.
func (ch *change) next() (int64, error) {
	if !ch.used {
		if err := ch.stmt(ch.st.seq).QueryRowContext(ch.ctx).Scan(&ch.seq); err != nil {
			return 0, fmt.Errorf("db: unable to read the change sequence: %w", err)
		}
		ch.used = true
	}
	ch.seq++
	return ch.seq, nil
}

func (ch *change) container(name string) (lifecycle.Container, error) {
	return getContainer(ch.ctx, ch.stmt(ch.st.container), ch.host, name)
}

func nullJob(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// write stores next over the row whose version is cur, under a new
// version. ok is false when the row is no longer at version cur.
func (ch *change) write(stmt *sql.Stmt, next lifecycle.Container, cur int64) (lifecycle.Container, bool, error) {
	v, err := ch.next()
	if err != nil {
		return next, false, err
	}
	c := next
	res, err := stmt.ExecContext(ch.ctx, c.ID, c.Image, c.State, c.EngineState, c.ExitCode,
		nanos(c.CreatedAt), nanos(c.StartedAt), nanos(c.FinishedAt), c.StopTimeout, c.Error,
		nullJob(c.JobID), c.PrevState, v, c.Waiting, c.Health, ch.host, c.Name, cur)
	if err != nil {
		return next, false, fmt.Errorf("db: unable to write container %s: %w", c.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return next, false, nil
	}
	c.Version = v
	return c, true, nil
}

// BeginJob implements lifecycle.Store.
func (db *DB) BeginJob(ctx context.Context, name string, decide func(lifecycle.Container) (lifecycle.Container, lifecycle.Job, error)) (lifecycle.Container, lifecycle.Job, error) {
	var c lifecycle.Container
	var job lifecycle.Job
	err := db.change(ctx, func(ch *change) error {
		cur, err := ch.container(name)
		if err != nil {
			return err
		}
		c = cur
		next, j, err := decide(cur)
		if err != nil {
			return err
		}
		j.Host = db.host
		res, err := ch.stmt(db.st.insertJob).ExecContext(ctx, j.Host, j.Container, j.Op, j.PrevState, j.Outcome, j.Error,
			nanos(j.StartedAt), nanos(j.FinishedAt), j.StopTimeout, j.Origin)
		if err != nil {
			return fmt.Errorf("db: unable to record the %s job of %s: %w", j.Op, name, err)
		}
		if j.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if next.JobID == 0 {
			next.JobID = j.ID // else the job runs beside the one the row carries
		}
		if _, ok, err := ch.write(ch.stmt(db.st.writeRow), next, cur.Version); err != nil || !ok {
			return cmp.Or(err, fmt.Errorf("db: %s changed while its job began", name))
		}
		job = j
		c, err = ch.container(name)
		return err
	})
	if err != nil {
		return c, lifecycle.Job{}, err
	}
	return c, job, nil
}

// EndJob implements lifecycle.Store.
func (db *DB) EndJob(ctx context.Context, job lifecycle.Job, settle func(lifecycle.Container) (lifecycle.Container, bool)) (lifecycle.Container, bool, error) {
	var c lifecycle.Container
	var ok bool
	err := db.change(ctx, func(ch *change) error {
		if _, err := ch.stmt(db.st.endJob).ExecContext(ctx, job.Outcome, job.Error, nanos(job.FinishedAt), job.Note, job.ID); err != nil {
			return fmt.Errorf("db: unable to end job %d: %w", job.ID, err)
		}
		cur, err := ch.container(job.Container)
		if errors.Is(err, lifecycle.ErrNotFound) || err == nil && cur.JobID != job.ID {
			return nil
		}
		if err != nil {
			return err
		}
		next, remove := settle(cur)
		if remove {
			if c, ok, err = ch.delete(job.Container, cur.Version); err != nil || !ok {
				return err
			}
			return nil
		}
		next.Job = nil
		if _, ok, err = ch.write(ch.stmt(db.st.writeRow), next, cur.Version); err != nil || !ok {
			return err
		}
		c, err = ch.container(job.Container)
		return err
	})
	return c, ok, err
}

// delete removes name's row if it is still at version cur, and returns
// the name with the version of the deletion.
func (ch *change) delete(name string, cur int64) (lifecycle.Container, bool, error) {
	res, err := ch.stmt(ch.st.deleteRow).ExecContext(ch.ctx, ch.host, name, cur)
	if err != nil {
		return lifecycle.Container{}, false, fmt.Errorf("db: unable to delete %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lifecycle.Container{}, false, nil
	}
	v, err := ch.next()
	return lifecycle.Container{Host: ch.host, Name: name, Version: v}, err == nil, err
}

// NoteJob implements lifecycle.Store.
func (db *DB) NoteJob(ctx context.Context, id int64, note string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET note = ? WHERE id = ?`, note, id); err != nil {
			return fmt.Errorf("db: unable to note job %d: %w", id, err)
		}
		return nil
	})
}

// UpdateContainer implements lifecycle.Store.
func (db *DB) UpdateContainer(ctx context.Context, name string, fn func(lifecycle.Container) (lifecycle.Container, bool)) (lifecycle.Container, bool, error) {
	var c lifecycle.Container
	var written bool
	err := db.change(ctx, func(ch *change) error {
		cur, err := ch.container(name)
		if err != nil {
			return err
		}
		c = cur
		next, write := fn(cur)
		if !write {
			return nil
		}
		if _, written, err = ch.write(ch.stmt(db.st.writeRow), next, cur.Version); err != nil || !written {
			return err
		}
		c, err = ch.container(name)
		return err
	})
	return c, written, err
}

// RunningJobs implements lifecycle.Store.
func (db *DB) RunningJobs(ctx context.Context) ([]lifecycle.Job, error) {
	rows, err := db.st.readRunningJobs.QueryContext(ctx, db.host)
	if err != nil {
		return nil, fmt.Errorf("db: unable to find running jobs: %w", err)
	}
	defer rows.Close()
	var jobs []lifecycle.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("db: unable to find running jobs: %w", err)
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// ApplyScan implements lifecycle.Store. A scan's rows carry no job and
// their own jobs are never touched: an update or a delete lands only over
// the version the scan read, which a job's begin would have changed.
func (db *DB) ApplyScan(ctx context.Context, writes []lifecycle.ScanWrite) ([]lifecycle.ScanWrite, error) {
	var landed []lifecycle.ScanWrite
	err := db.change(ctx, func(ch *change) error {
		landed = landed[:0]
		insert, update := ch.stmt(db.st.insertRow), ch.stmt(db.st.writeRow)
		for _, w := range writes {
			c := w.Container
			var (
				ok  bool
				err error
			)
			switch w.Kind {
			case lifecycle.Insert:
				ok, err = ch.insert(insert, &c)
			case lifecycle.Update:
				if c.JobID != 0 {
					return fmt.Errorf("db: a scan may not write %s's job", c.Name)
				}
				c, ok, err = ch.write(update, c, w.Version)
			case lifecycle.Delete:
				c, ok, err = ch.delete(c.Name, w.Version)
			default:
				return fmt.Errorf("db: unknown scan write %v", w.Kind)
			}
			if err != nil {
				return err
			}
			if ok {
				w.Container = c
				landed = append(landed, w)
			}
		}
		return nil
	})
	return landed, err
}

// insert adds c's row, without a job, unless the name is taken.
func (ch *change) insert(stmt *sql.Stmt, c *lifecycle.Container) (bool, error) {
	v, err := ch.next()
	if err != nil {
		return false, err
	}
	res, err := stmt.ExecContext(ch.ctx, ch.host, c.Name, c.ID, c.Image, c.State, c.EngineState, c.ExitCode,
		nanos(c.CreatedAt), nanos(c.StartedAt), nanos(c.FinishedAt), c.StopTimeout, c.Error,
		nullJob(0), "", v, c.Waiting, c.Health)
	if err != nil {
		return false, fmt.Errorf("db: unable to insert %s: %w", c.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	c.JobID, c.PrevState, c.Job, c.Version, c.Host = 0, "", nil, v, ch.host
	return true, nil
}

// Jobs implements lifecycle.Store.
func (db *DB) Jobs(ctx context.Context, container string, limit int) ([]lifecycle.Job, error) {
	q := `SELECT ` + jobCols + ` FROM jobs j WHERE j.host = ?`
	args := []any{db.host}
	if container != "" {
		q += ` AND j.container = ?`
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

// pruneBatch bounds the jobs one transaction of PruneJobs deletes, so that
// the first prune of a long history keeps no click waiting for the writer
// (the same reason as the scan's batches). A variable for the tests.
var pruneBatch int64 = 1000

// PruneJobs implements lifecycle.Store.
func (db *DB) PruneJobs(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := db.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, sqlPruneJobs, nanos(before), pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("db: unable to delete the jobs ended before %s: %w", before.UTC().Format(time.RFC3339), err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
