-- When a device was last heard from and its time online today: what every heartbeat (every 30 s) writes. In the
-- device row that write cost three times what it costs here (an update of that row checks its three unique
-- indexes, public key and tunnel ports, even when none of them changed); the device row is now written only when
-- the device changes (state, prices, listing), its liveness in a narrow row of its own (issue 33). Devices are
-- never deleted, so no foreign key: one would be checked at every heartbeat for nothing.
CREATE TABLE device_heard (
    device_id     VARCHAR(16) PRIMARY KEY,
    last_seen     BIGINT      NOT NULL,
    online_day    BIGINT      NOT NULL,
    online_day_ms BIGINT      NOT NULL
);
INSERT INTO device_heard(device_id, last_seen, online_day, online_day_ms)
    SELECT id, last_seen, online_day, online_day_ms FROM device;
ALTER TABLE device DROP COLUMN last_seen;
ALTER TABLE device DROP COLUMN online_day;
ALTER TABLE device DROP COLUMN online_day_ms;
