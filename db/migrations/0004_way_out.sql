-- Kill joins the operations, and three outcomes join the jobs: lost (the
-- connection to Podman broke during the call), timed-out (Podman did not
-- answer by the deadline) and force-stopped (a kill ended the stop). A job
-- also keeps a note (who force-stopped it, a late answer).
--
-- SQLite cannot change a CHECK constraint, so jobs is built again. The
-- containers that carry a job point at it by id; they let go of it while
-- the table is replaced and take it back after, so that no foreign key is
-- ever broken.
CREATE TABLE jobs_next (
	id           INTEGER PRIMARY KEY,
	container    TEXT NOT NULL,
	op           TEXT NOT NULL CHECK (op IN ('stop', 'start', 'restart', 'kill')),
	prev_state   TEXT NOT NULL,
	outcome      TEXT NOT NULL DEFAULT 'running'
	             CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted', 'lost', 'timed-out', 'force-stopped')),
	error        TEXT NOT NULL DEFAULT '',
	started_at   INTEGER NOT NULL,
	finished_at  INTEGER NOT NULL DEFAULT 0,
	stop_timeout INTEGER NOT NULL DEFAULT 0,
	origin       TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT ''
) STRICT;

INSERT INTO jobs_next (id, container, op, prev_state, outcome, error, started_at, finished_at, stop_timeout, origin)
	SELECT id, container, op, prev_state, outcome, error, started_at, finished_at, stop_timeout, origin FROM jobs;

CREATE TEMP TABLE carried AS SELECT name, job_id FROM containers WHERE job_id IS NOT NULL;
UPDATE containers SET job_id = NULL WHERE job_id IS NOT NULL;
DROP TABLE jobs;
ALTER TABLE jobs_next RENAME TO jobs;
UPDATE containers SET job_id = (SELECT carried.job_id FROM carried WHERE carried.name = containers.name)
	WHERE name IN (SELECT name FROM carried);
DROP TABLE carried;

CREATE INDEX jobs_by_container ON jobs (container, id DESC);
CREATE INDEX jobs_running ON jobs (id) WHERE outcome = 'running';

-- Why a row waits for Podman's word, and the container's health.
ALTER TABLE containers ADD COLUMN waiting TEXT NOT NULL DEFAULT '';
ALTER TABLE containers ADD COLUMN health TEXT NOT NULL DEFAULT '';
