-- Containers as the dashboard knows them. Times are Unix nanoseconds, 0 when
-- unknown. version grows with every write so that the scan can write
-- conditionally on the row it read.
CREATE TABLE containers (
	name         TEXT PRIMARY KEY,
	id           TEXT NOT NULL DEFAULT '',
	image        TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL,
	engine_state TEXT NOT NULL DEFAULT '',
	exit_code    INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL DEFAULT 0,
	started_at   INTEGER NOT NULL DEFAULT 0,
	finished_at  INTEGER NOT NULL DEFAULT 0,
	stop_timeout INTEGER NOT NULL DEFAULT 0,
	error        TEXT NOT NULL DEFAULT '',
	job_id       INTEGER REFERENCES jobs (id),
	prev_state   TEXT NOT NULL DEFAULT '',
	version      INTEGER NOT NULL DEFAULT 1
) STRICT;

-- One row per operation, kept for history and post-mortems.
CREATE TABLE jobs (
	id           INTEGER PRIMARY KEY,
	container    TEXT NOT NULL,
	op           TEXT NOT NULL CHECK (op IN ('stop', 'start', 'restart')),
	prev_state   TEXT NOT NULL,
	outcome      TEXT NOT NULL DEFAULT 'running'
	             CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted')),
	error        TEXT NOT NULL DEFAULT '',
	started_at   INTEGER NOT NULL,
	finished_at  INTEGER NOT NULL DEFAULT 0,
	stop_timeout INTEGER NOT NULL DEFAULT 0,
	origin       TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX jobs_by_container ON jobs (container, id DESC);
CREATE INDEX jobs_running ON jobs (id) WHERE outcome = 'running';
