-- 002: the Kafka outbox, and collector statistics.
-- Every alert event bound for Kafka is written here in the same transaction
-- as the alert itself, and deleted when the broker acknowledges it: after
-- a broker outage or a restart, what is left is re-sent in seq order.

CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- send order
    alert_id    TEXT NOT NULL,
    event_seq   INTEGER NOT NULL,                   -- the event's per-alert sequence number
    msg_key     TEXT NOT NULL,                      -- Kafka key: the victim
    payload     TEXT NOT NULL,                      -- the JSON message
    created_at  TEXT NOT NULL
);

-- Counters the daemon and replay write at shutdown and every minute.
CREATE TABLE collector_stats (
    at          TEXT NOT NULL,      -- when the snapshot was taken (UTC)
    source      TEXT NOT NULL,      -- 'nf5', 'nf9', 'ipfix', 'sflow5', 'dns', 'pipeline', 'kafka', ...
    name        TEXT NOT NULL,      -- counter name, e.g. 'datagrams', 'drop_truncated'
    value       INTEGER NOT NULL,
    PRIMARY KEY (at, source, name)
);

CREATE VIEW daily_summary AS
    SELECT substr(started_at, 1, 10) AS day, vector, count(*) AS alerts,
           max(peak_pps) AS max_pps, max(peak_bps) AS max_bps, max(peak_qps) AS max_qps
    FROM alerts GROUP BY day, vector;
