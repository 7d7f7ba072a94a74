-- The meter of the rental a device serves, in the device's liveness row: every heartbeat of a served rental bills
-- the time since the last one, and that was an update of the rental's channel row besides the update of this row,
-- the costliest of a heartbeat's statements (a changed row costs its whole page at the commit, and a channel's is
-- wide). Now a heartbeat writes this row only (issue 33). A channel's billed time is its billed_ms plus metered_ms
-- here while metered_rental names its rental; when the device's heartbeats start metering another rental, the
-- meter is first folded into the channel it held. Existing channels keep their billed_ms and metered_until, the
-- meter starting from them.
ALTER TABLE device_heard ADD COLUMN metered_rental VARCHAR(16);
ALTER TABLE device_heard ADD COLUMN metered_ms BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE device_heard ADD COLUMN metered_until BIGINT;
