-- A channel keeps only the renter's latest voucher: each voucher promises the whole amount so
-- far, so the latest is all settlement needs (as in any payment channel), and one row per voucher
-- grew the database by a row per rental per minute and doubled the writes per voucher.
ALTER TABLE channel ADD COLUMN voucher_issued_at BIGINT;
ALTER TABLE channel ADD COLUMN voucher_signature BYTEA;
ALTER TABLE channel ADD COLUMN voucher_received_at BIGINT;
UPDATE channel c SET (voucher_issued_at, voucher_signature, voucher_received_at) =
    (SELECT v.issued_at, v.signature, v.received_at FROM voucher v WHERE v.rental = c.rental AND v.sequence = c.last_sequence);
DROP TABLE voucher;
