-- Whether the owner offers the device for new rentals now (listing switched on, within its available
-- hours), as its last heartbeat said. The marketplace shows only offered devices.
ALTER TABLE device ADD COLUMN offered BOOLEAN NOT NULL DEFAULT TRUE;
