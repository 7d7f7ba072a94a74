-- Where each device's SSH tunnel is: the SSH gateway (HOST:PORT) of the hub process holding its
-- session. With several hubs on one database the others relay renters there. NULL: none open.
ALTER TABLE device ADD COLUMN tunnel_at VARCHAR(300);

-- The key every hub sharing this database shows (SSH host key and DTLS key, which devices pin).
CREATE TABLE hub_identity (
    id       INT PRIMARY KEY,
    hub_key  VARCHAR(400) NOT NULL
);
