-- The running balance of the accounts whose balance the rental path checks: renter wallets (read at every rent,
-- debited by every deposit) and linked hubs' clearing accounts (held to their credit at every posting). Updated in
-- the transaction of each of their entries, so a check reads one row, not the account's whole history. Others
-- (escrows of a few entries; owners' earnings, the hub's fees and the rail, credited by every settlement) are summed
-- from their entries: a row of theirs would be written by every voucher, a row all hubs on one database contend for.
CREATE TABLE account_balance (
    account  VARCHAR(128) PRIMARY KEY REFERENCES account(id),
    balance  BIGINT NOT NULL
);
INSERT INTO account_balance(account, balance)
    SELECT a.id, COALESCE((SELECT SUM(e.amount) FROM ledger_entry e WHERE e.account = a.id), 0)
    FROM account a
    WHERE a.id LIKE 'renter:%' OR a.id LIKE 'peer:%';
