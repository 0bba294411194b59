-- Containers of several Podman hosts: a row is keyed by its host and its
-- name, and each job names its host. What was stored before belongs to
-- the host "local", with its history.
CREATE TABLE containers_next (
	host         TEXT NOT NULL DEFAULT 'local',
	name         TEXT NOT NULL,
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
	version      INTEGER NOT NULL DEFAULT 1,
	waiting      TEXT NOT NULL DEFAULT '',
	health       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (host, name)
) STRICT;

INSERT INTO containers_next (host, name, id, image, state, engine_state, exit_code, created_at, started_at,
		finished_at, stop_timeout, error, job_id, prev_state, version, waiting, health)
	SELECT 'local', name, id, image, state, engine_state, exit_code, created_at, started_at,
		finished_at, stop_timeout, error, job_id, prev_state, version, waiting, health FROM containers;
DROP TABLE containers;
ALTER TABLE containers_next RENAME TO containers;

ALTER TABLE jobs ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
DROP INDEX jobs_by_container;
DROP INDEX jobs_running;
CREATE INDEX jobs_by_container ON jobs (host, container, id DESC);
-- A host's history, newest first, and its jobs in flight.
CREATE INDEX jobs_by_host ON jobs (host, id DESC);
CREATE INDEX jobs_running ON jobs (host, id) WHERE outcome = 'running';
