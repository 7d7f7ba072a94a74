-- A usage report's write, numbers only (issue 33), as V20 made a heartbeat's: a report updated the rental's channel
-- row, the widest the hub has (keys, a voucher's signature, names), and at a commit H2 writes a changed row's whole
-- page again, about 48 such rows. The counters a device reports move to a row of numbers of their own, keyed by a
-- number the channel row holds (channel.usage_id); the channel row is written by vouchers, pauses and settlement.
ALTER TABLE channel ADD COLUMN usage_id BIGINT;
CREATE TABLE channel_usage_numbers (
    id             BIGINT      PRIMARY KEY,
    rental         VARCHAR(16) NOT NULL,
    usage_sequence BIGINT      NOT NULL,
    egress_bytes   BIGINT      NOT NULL,
    usage_online   BIGINT      NOT NULL,
    usage_cpu      BIGINT      NOT NULL,
    usage_memory   BIGINT      NOT NULL,
    usage_in       BIGINT      NOT NULL,
    usage_at       BIGINT
);
INSERT INTO channel_usage_numbers(id, rental, usage_sequence, egress_bytes, usage_online, usage_cpu, usage_memory,
                                  usage_in, usage_at)
    SELECT ROW_NUMBER() OVER (ORDER BY rental), rental, usage_sequence, egress_bytes, usage_online, usage_cpu,
           usage_memory, usage_in, usage_at
    FROM channel;
UPDATE channel SET usage_id = (SELECT u.id FROM channel_usage_numbers u WHERE u.rental = channel.rental);
ALTER TABLE channel ALTER COLUMN usage_id SET NOT NULL;
ALTER TABLE channel_usage_numbers DROP COLUMN rental;
ALTER TABLE channel DROP COLUMN usage_sequence;
ALTER TABLE channel DROP COLUMN egress_bytes;
ALTER TABLE channel DROP COLUMN usage_online;
ALTER TABLE channel DROP COLUMN usage_cpu;
ALTER TABLE channel DROP COLUMN usage_memory;
ALTER TABLE channel DROP COLUMN usage_in;
ALTER TABLE channel DROP COLUMN usage_at;
ALTER TABLE channel_usage_numbers RENAME TO channel_usage;
