-- 001: alerts and their event timeline.
-- Times are UTC ISO-8601 text with milliseconds ('2023-11-14T22:14:20.000Z').

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,         -- stable alert id, 16 hex digits
    started_at  TEXT NOT NULL,            -- onset: start of the first hot window
    updated_at  TEXT NOT NULL,            -- time of the newest event
    ended_at    TEXT,                     -- NULL while the alert is active
    victim      TEXT NOT NULL,            -- address, prefix or DNS zone
    vector      TEXT NOT NULL,            -- udp_flood, syn_flood, ... (README)
    severity    INTEGER NOT NULL,         -- 1 low, 2 medium, 3 high
    peak_pps    REAL NOT NULL DEFAULT 0,  -- packets/s, sampling applied
    peak_bps    REAL NOT NULL DEFAULT 0,  -- bits/s, sampling applied
    peak_qps    REAL NOT NULL DEFAULT 0,  -- DNS queries/s
    events      INTEGER NOT NULL,         -- events so far (last sequence number)
    evidence    TEXT NOT NULL             -- JSON object
);
CREATE INDEX alerts_started ON alerts(started_at);
CREATE INDEX alerts_victim ON alerts(victim, started_at);
CREATE INDEX alerts_active ON alerts(ended_at) WHERE ended_at IS NULL;

CREATE TABLE alert_events (
    alert_id    TEXT NOT NULL REFERENCES alerts(id),
    seq         INTEGER NOT NULL,         -- 1, 2, ... per alert
    event       TEXT NOT NULL CHECK (event IN ('start', 'update', 'end')),
    at          TEXT NOT NULL,            -- when the event was decided (event time)
    pps         REAL NOT NULL,            -- rates in the window that caused it
    bps         REAL NOT NULL,
    qps         REAL NOT NULL,
    evidence    TEXT NOT NULL,
    PRIMARY KEY (alert_id, seq)
);

CREATE VIEW active_alerts AS
    SELECT * FROM alerts WHERE ended_at IS NULL;
