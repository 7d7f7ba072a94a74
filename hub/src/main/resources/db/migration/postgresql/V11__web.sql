-- Accounts of the marketplace pages. A renter's rentals and wallet are held under the account's
-- renter key, made by the hub at sign-up (its private half is thrown away: the pages act for the
-- account, and each rental's vouchers are signed by a key the browser made for it). An account may
-- also see one owner's dashboard, once it signed up with that owner's invitation.
CREATE TABLE web_account (
    name           VARCHAR(32) PRIMARY KEY,
    password_hash  VARCHAR(200) NOT NULL,
    renter_key     BYTEA NOT NULL UNIQUE,
    owner          VARCHAR(64) UNIQUE,
    created_at     BIGINT NOT NULL
);

-- Signed-in browsers: the SHA-256 of the session cookie (the cookie itself is never stored) and the
-- token every form of the session carries against cross-site requests.
CREATE TABLE web_session (
    id_sha256   BYTEA PRIMARY KEY,
    account     VARCHAR(32) NOT NULL REFERENCES web_account(name),
    csrf        VARCHAR(64) NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX web_session_by_account ON web_session(account);

-- One-time invitations the hub operator makes (edgerent token --owner NAME --dashboard): the account
-- that signs up with one sees NAME's owner dashboard.
CREATE TABLE owner_invite (
    code        VARCHAR(64) PRIMARY KEY,
    owner       VARCHAR(64) NOT NULL,
    created_at  BIGINT NOT NULL,
    used_by     VARCHAR(32),
    used_at     BIGINT
);

-- The key that signs a channel's vouchers when it is not the renter's: the one a page made in the browser.
ALTER TABLE channel ADD COLUMN voucher_key BYTEA;

-- Where the owner says the device is (free text, empty when not said), and the device's online time:
-- today's so far on the device row, earlier days in device_online, for the uptime over 30 days.
ALTER TABLE device ADD COLUMN region VARCHAR(40) NOT NULL DEFAULT '';
ALTER TABLE device ADD COLUMN online_day BIGINT NOT NULL DEFAULT 0;
ALTER TABLE device ADD COLUMN online_day_ms BIGINT NOT NULL DEFAULT 0;
CREATE TABLE device_online (
    device_id  VARCHAR(16) NOT NULL,
    on_day     BIGINT NOT NULL,
    online_ms  BIGINT NOT NULL,
    PRIMARY KEY (device_id, on_day)
);
