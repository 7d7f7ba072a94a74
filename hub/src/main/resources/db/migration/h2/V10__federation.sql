-- Hubs linked with this one (federation), each added by this hub's operator: the name the operator
-- gives it, where it answers CoAP over DTLS, and its key (its SSH host key, an OpenSSH line).
CREATE TABLE linked_hub (
    name      VARCHAR(32) PRIMARY KEY,
    address   VARCHAR(300) NOT NULL,
    hub_key   VARCHAR(400) NOT NULL UNIQUE,
    added_at  BIGINT NOT NULL
);

-- A channel a linked hub funded for one of its renters: the deposit came from, and the refund goes
-- back to, that hub's clearing account (peer:NAME) instead of a renter's wallet. NULL: the renter's.
ALTER TABLE channel ADD COLUMN funded_by VARCHAR(40);

-- Rentals this hub's renters made of linked hubs' devices. The device's home hub keeps the channel
-- and settles it; here the deposit waits in peer:NAME until the home hub says what comes back.
CREATE TABLE passed_rental (
    name          VARCHAR(16) PRIMARY KEY,
    hub           VARCHAR(32) NOT NULL,
    renter_key    VARBINARY(32) NOT NULL,
    sent          BIGINT NOT NULL,
    state         VARCHAR(16) NOT NULL,
    requested_at  BIGINT NOT NULL,
    view          VARBINARY(2000),
    refund        BIGINT,
    settled_at    BIGINT
);
CREATE INDEX passed_rental_by_renter ON passed_rental(renter_key);
CREATE INDEX passed_rental_by_state ON passed_rental(state);
