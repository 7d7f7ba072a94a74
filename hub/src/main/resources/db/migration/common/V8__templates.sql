-- Which app templates a device offers (comma-separated ids: base, web, files), as its last
-- heartbeat said, and for a file-host rental the SHA-256 (hex) of the password guarding it.
ALTER TABLE device ADD COLUMN templates VARCHAR(64) NOT NULL DEFAULT 'base';
ALTER TABLE rental ADD COLUMN password_sha256 VARCHAR(64);
