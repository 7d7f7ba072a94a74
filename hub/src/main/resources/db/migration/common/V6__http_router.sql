-- Each device reserves a second loopback port on the hub, for the reverse forward of its rental's web
-- server. Devices registered before have none (NULL): their rentals answer HTTP with a 502 page.
ALTER TABLE device ADD COLUMN http_tunnel_port INT UNIQUE;

-- Bytes the HTTP router sent to clients for each rental: the basis of per-GB egress metering.
ALTER TABLE rental ADD COLUMN http_bytes_out BIGINT NOT NULL DEFAULT 0;
