-- One-time registration tokens an owner hands to a device.
CREATE TABLE owner_token (
    token       VARCHAR(64) PRIMARY KEY,
    owner       VARCHAR(64) NOT NULL,
    created_at  BIGINT      NOT NULL,
    used_by     VARCHAR(16),
    used_at     BIGINT
);

CREATE TABLE device (
    id                 VARCHAR(16)  PRIMARY KEY,
    owner              VARCHAR(64)  NOT NULL,
    public_key         VARBINARY(32) NOT NULL UNIQUE,
    tunnel_port        INT          NOT NULL UNIQUE,
    facts              VARBINARY(4096) NOT NULL,
    state              VARCHAR(16)  NOT NULL,
    current_rental     VARCHAR(16),
    assignment_version BIGINT       NOT NULL,
    last_seen          BIGINT       NOT NULL,
    registered_at      BIGINT       NOT NULL
);

CREATE TABLE rental (
    name        VARCHAR(16)   PRIMARY KEY,
    device_id   VARCHAR(16)   NOT NULL REFERENCES device(id),
    renter_key  VARBINARY(32) NOT NULL,
    ssh_key     VARCHAR(16384) NOT NULL,
    template    VARCHAR(64)   NOT NULL,
    state       VARCHAR(16)   NOT NULL,
    created_at  BIGINT        NOT NULL,
    ends_at     BIGINT        NOT NULL,
    ended_at    BIGINT
);

CREATE INDEX rental_by_renter ON rental(renter_key);
