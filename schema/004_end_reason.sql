-- 004: why an alert ended.  Every end event carries a reason:
--   quiet         end_windows calm windows in a row (the detector's rule)
--   end_of_input  a replay ran out of records before the alert went quiet
--   shutdown      the daemon stopped cleanly (SIGTERM/SIGINT) with it open
--   restart       found open at the next start (kill -9, crash, power loss)
-- Alerts that ended before this step ended by the calm rule: 'quiet'.

ALTER TABLE alerts ADD COLUMN end_reason TEXT;     -- NULL while active
ALTER TABLE alert_events ADD COLUMN reason TEXT;   -- end events only; NULL otherwise

UPDATE alerts SET end_reason = 'quiet' WHERE ended_at IS NOT NULL;
UPDATE alert_events SET reason = 'quiet' WHERE event = 'end';
