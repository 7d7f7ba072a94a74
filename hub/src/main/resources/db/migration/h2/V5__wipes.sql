-- The record a device sends once it has erased an ended rental; renters read it.
CREATE TABLE wipe (
    rental       VARCHAR(16) PRIMARY KEY REFERENCES rental(name),
    device_id    VARCHAR(16) NOT NULL,
    verified     BOOLEAN NOT NULL,
    record       VARBINARY(65536) NOT NULL,
    received_at  BIGINT NOT NULL
);
