-- Owner prices per device, in the smallest currency unit.
ALTER TABLE device ADD COLUMN price_per_hour BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE device ADD COLUMN price_per_gb BIGINT DEFAULT 0 NOT NULL;

-- Double-entry ledger: a transaction's entries add up to zero.
CREATE TABLE account (
    id          VARCHAR(128) PRIMARY KEY,
    created_at  BIGINT NOT NULL
);
CREATE TABLE ledger_tx (
    id   BIGINT AUTO_INCREMENT PRIMARY KEY,
    ref  VARCHAR(300) NOT NULL UNIQUE,
    at   BIGINT NOT NULL
);
CREATE TABLE ledger_entry (
    tx_id    BIGINT NOT NULL REFERENCES ledger_tx(id),
    account  VARCHAR(128) NOT NULL REFERENCES account(id),
    amount   BIGINT NOT NULL
);
CREATE INDEX ledger_entry_by_account ON ledger_entry(account);

-- One payment channel per rental.
CREATE TABLE channel (
    rental          VARCHAR(16) PRIMARY KEY REFERENCES rental(name),
    renter_key      VARBINARY(32) NOT NULL,
    owner           VARCHAR(64) NOT NULL,
    device_id       VARCHAR(16) NOT NULL,
    deposit         BIGINT NOT NULL,
    price_per_hour  BIGINT NOT NULL,
    price_per_gb    BIGINT NOT NULL,
    fee_bps         INT NOT NULL,
    paid            BIGINT NOT NULL,
    last_sequence   BIGINT NOT NULL,
    billed_ms       BIGINT NOT NULL,
    metered_until   BIGINT,
    egress_bytes    BIGINT NOT NULL,
    usage_sequence  BIGINT NOT NULL,
    usage_online    BIGINT NOT NULL,
    usage_cpu       BIGINT NOT NULL,
    usage_memory    BIGINT NOT NULL,
    usage_in        BIGINT NOT NULL,
    paused_since    BIGINT,
    state           VARCHAR(16) NOT NULL,
    owner_share     BIGINT,
    hub_fee         BIGINT,
    refund          BIGINT,
    settled_at      BIGINT
);

-- Every voucher the hub acknowledged.
CREATE TABLE voucher (
    rental       VARCHAR(16) NOT NULL,
    sequence     BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    issued_at    BIGINT NOT NULL,
    signature    VARBINARY(64) NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (rental, sequence)
);
