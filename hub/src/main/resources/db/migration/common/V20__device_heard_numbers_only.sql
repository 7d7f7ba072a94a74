-- A heartbeat's write, numbers only (issue 33). At a commit the embedded database writes every changed row's whole
-- page again, about 48 rows, so what a heartbeat costs is the width of its row's neighbours: device_heard's rows
-- carried two strings (the device's id, its key, and the metered rental's name), and serializing them was most of
-- the commit. Its rows are now keyed by a number the device row holds (device.heard) and hold numbers only; the
-- rental the meter runs for, written once a rental, moves to the device row (device.metered_rental). Measured:
-- the update 23.6 against 7.8 us (docs/benchmarks.md). No unique index on device.heard: the hub numbers the rows
-- itself, and every unique index is checked at each update of the device row.
ALTER TABLE device ADD COLUMN heard BIGINT;
ALTER TABLE device ADD COLUMN metered_rental VARCHAR(16);
CREATE TABLE device_heard_numbers (
    id            BIGINT      PRIMARY KEY,
    device_id     VARCHAR(16) NOT NULL,
    last_seen     BIGINT      NOT NULL,
    online_day    BIGINT      NOT NULL,
    online_day_ms BIGINT      NOT NULL,
    metered_ms    BIGINT      NOT NULL,
    metered_until BIGINT
);
INSERT INTO device_heard_numbers(id, device_id, last_seen, online_day, online_day_ms, metered_ms, metered_until)
    SELECT ROW_NUMBER() OVER (ORDER BY device_id), device_id, last_seen, online_day, online_day_ms, metered_ms,
           metered_until
    FROM device_heard;
UPDATE device SET
    heard = (SELECT n.id FROM device_heard_numbers n WHERE n.device_id = device.id),
    metered_rental = (SELECT h.metered_rental FROM device_heard h WHERE h.device_id = device.id);
ALTER TABLE device ALTER COLUMN heard SET NOT NULL;
ALTER TABLE device_heard_numbers DROP COLUMN device_id;
DROP TABLE device_heard;
ALTER TABLE device_heard_numbers RENAME TO device_heard;
