-- 003: collector_stats keeps every uint64 counter exactly.
-- SQLite integers are signed 64-bit.  `value` now has no declared type (no
-- affinity, so nothing is converted on the way in): counters up to
-- 9223372036854775807 are stored as INTEGER, as before; larger ones (only a
-- broken or hostile exporter reports such numbers, e.g. sFlow interface
-- counters) as their exact decimal TEXT.  Rows written before this step hold
-- such counters cast to a negative INTEGER: they become value + 2^64, as
-- text, computed in two halves so no step overflows.

ALTER TABLE collector_stats RENAME TO collector_stats_v2;

CREATE TABLE collector_stats (
    at          TEXT NOT NULL,      -- when the snapshot was taken (UTC)
    source      TEXT NOT NULL,      -- 'nf5', 'nf9', 'listener', 'detector', 'nf9 192.0.2.1', 'nf9 others', ...
    name        TEXT NOT NULL,      -- counter name, e.g. 'datagrams', 'drop_truncated'
    value       NOT NULL,           -- INTEGER, or TEXT above 9223372036854775807
    PRIMARY KEY (at, source, name)
);

INSERT INTO collector_stats (at, source, name, value)
    SELECT at, source, name,
           CASE WHEN typeof(value) = 'integer' AND value < 0 THEN
               printf('%d%010d',
                   922337203 + (value + 9223372036854775807 + 1) / 10000000000
                       + (6854775808 + (value + 9223372036854775807 + 1) % 10000000000) / 10000000000,
                   (6854775808 + (value + 9223372036854775807 + 1) % 10000000000) % 10000000000)
           ELSE value END
    FROM collector_stats_v2;

DROP TABLE collector_stats_v2;
