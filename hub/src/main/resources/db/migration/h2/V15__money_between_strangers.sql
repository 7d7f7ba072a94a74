-- What the renter chose and the hub measures, so that no party takes more than the renter agreed to.
-- egress_cap: the most egress (bytes) the renter agreed to pay for; billed egress stops there.
-- usage_at: when the device's last usage report was accepted (or the channel opened), which bounds how
-- much egress the next one may add (no device sends faster than its link).
ALTER TABLE channel ADD COLUMN egress_cap BIGINT NOT NULL DEFAULT 10000000000;
ALTER TABLE channel ADD COLUMN usage_at BIGINT;
-- Why the payment rules ended the rental, when time or the renter did not (egress cap reached, no first voucher).
ALTER TABLE channel ADD COLUMN note VARCHAR(200) NOT NULL DEFAULT '';
-- A device whose usage report was impossible is marked: why, and when (shown to owners and renters).
ALTER TABLE device ADD COLUMN flagged VARCHAR(200);
ALTER TABLE device ADD COLUMN flagged_at BIGINT;
-- The most a linked hub may owe this one, or this one it, in rentals passed between them.
ALTER TABLE linked_hub ADD COLUMN credit BIGINT NOT NULL DEFAULT 0;
-- The highest voucher the renter signed for a rental passed on: the most the home hub is paid.
ALTER TABLE passed_rental ADD COLUMN promised BIGINT NOT NULL DEFAULT 0;
-- The device's signature naming this hub its home (protocol HomeProof), passed on with the listings to
-- linked hubs, which show only devices whose proof names the hub that listed them.
ALTER TABLE device ADD COLUMN home_proof VARBINARY(64);
