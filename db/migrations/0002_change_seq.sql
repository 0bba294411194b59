-- One sequence for every write to a container row. Each write stores the
-- next value as the row's version, so versions grow across rows in the
-- order the writes were committed, and the live feed can deliver a
-- container's changes in that order. It starts above every version in use.
CREATE TABLE change_seq (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
) STRICT;

INSERT INTO change_seq (id, n) SELECT 1, coalesce(max(version), 0) FROM containers;
