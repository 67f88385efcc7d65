-- 005: indexes for every filter of `floodwatch alerts` and GET /api/v1/alerts.
-- Lists are newest first, ordered by (started_at, id) descending, and a page
-- continues after the (started_at, id) of the last row it gave: each index
-- ends with those two columns so a filter walks it backwards and stops after
-- one page, with no sort.  tests/integration/alerts_cli.sh checks the plans.

DROP INDEX IF EXISTS alerts_started;
DROP INDEX IF EXISTS alerts_victim;
DROP INDEX IF EXISTS alerts_active;  -- replaced by alerts_open, which also gives the order
CREATE INDEX alerts_started ON alerts(started_at, id);
CREATE INDEX alerts_victim ON alerts(victim, started_at, id);
CREATE INDEX alerts_vector ON alerts(vector, started_at, id);
-- Open alerts (ended_at IS NULL) are few; this partial index lists them in order.
CREATE INDEX alerts_open ON alerts(started_at, id) WHERE ended_at IS NULL;
