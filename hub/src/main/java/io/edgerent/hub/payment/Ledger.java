package io.edgerent.hub.payment;

import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.Statement;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Double-entry accounts in the smallest currency unit. Every movement is one transaction whose
 * entries add up to zero, recorded under a unique reference so that posting it twice is refused.
 * Only the rail account, which stands for money outside the hub, and the clearing accounts of linked
 * hubs may go below zero; a clearing account stays within the credit its operator gave that hub (table
 * {@code linked_hub}, column {@code credit}): a posting that would take it further from zero than that is refused.
 *
 * <p>Renter wallets and clearing accounts, checked at every rent, keep a running balance (table {@code
 * account_balance}) updated with each of their entries, so that the check costs the same however long their history;
 * the other accounts' balances are the sums of their entries (see {@link #keepsRunningBalance}).
 */
public final class Ledger {
    /** Money outside the hub: deposits come from it, withdrawals go to it. */
    static final String RAIL = "rail:external";

    public static final String HUB_FEES = "hub:fees";

    private final Sql sql;
    private final Clock clock;

    public Ledger(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    public static String renterWallet(byte[] renterKey) {
        return "renter:" + HexFormat.of().formatHex(renterKey);
    }

    public static String ownerEarnings(String owner) {
        return "owner:" + owner;
    }

    static String escrow(String rental) {
        return "escrow:" + rental;
    }

    /**
     * What this hub and the linked hub {@code hub} owe each other for rentals passed between them: it
     * may go below zero. Here it holds the deposits this hub's renters sent to rentals of that hub's
     * devices; there, the deposits it credited for them. After settlement each side's account holds
     * the other's charges, so the two mirror each other, and the operators clear them by other means.
     */
    public static String clearing(String hub) {
        return "peer:" + hub;
    }

    private static boolean mayGoBelowZero(String account) {
        return account.equals(RAIL) || account.startsWith("peer:");
    }

    /**
     * Whether the account's balance is kept in a row of its own: the accounts whose balance the rental path checks
     * (a busy renter's wallet, a linked hub's clearing account). Not the accounts every settlement credits (an owner's
     * earnings, the hub's fees, the rail): one row for them would be written by every voucher of every hub sharing the
     * database, each write conflicting with all the others. They are checked only when debited (a withdrawal).
     */
    static boolean keepsRunningBalance(String account) {
        return account.startsWith("renter:") || account.startsWith("peer:");
    }

    /** A linked hub's clearing account would pass the credit given to that hub. */
    public static final class CreditExceeded extends RefusedException {
        CreditExceeded(String message) {
            super(ErrorCode.PRECONDITION_FAILED, message);
        }
    }

    /**
     * Posts one balanced transaction (account to amount; positive credits the account). Refused
     * when the entries do not add up to zero, when the reference was used, when an account
     * other than the rail or a clearing account would go below zero, or when a clearing account
     * would pass its linked hub's credit ({@link CreditExceeded}).
     */
    void post(String reference, Map<String, Long> entries) {
        sql.transaction(() -> {
            long sum = 0;
            for (long amount : entries.values()) {
                sum = Math.addExact(sum, amount);
            }
            if (sum != 0) {
                throw new IllegalStateException("unbalanced transaction " + reference + ": " + entries);
            }
            if (sql.one("SELECT id FROM ledger_tx WHERE ref = ?", reference).isPresent()) {
                throw new RefusedException(ErrorCode.CONFLICT, "reference '" + reference + "' was already recorded");
            }
            long now = clock.millis();
            sql.update("INSERT INTO ledger_tx(ref, at) VALUES (?, ?)", reference, now);
            long tx = sql.one("SELECT id FROM ledger_tx WHERE ref = ?", reference)
                    .orElseThrow()
                    .integer(1);
            for (var entry : entries.entrySet()) {
                if (entry.getValue() == 0) {
                    continue;
                }
                openAccount(entry.getKey());
                sql.update(
                        "INSERT INTO ledger_entry(tx_id, account, amount) VALUES (?, ?, ?)",
                        tx,
                        entry.getKey(),
                        entry.getValue());
                if (keepsRunningBalance(entry.getKey())) {
                    sql.update(
                            "UPDATE account_balance SET balance = balance + ? WHERE account = ?",
                            entry.getValue(),
                            entry.getKey());
                }
                if (entry.getKey().startsWith("peer:")) {
                    requireWithinCredit(entry.getKey(), entry.getValue());
                }
                if (entry.getValue() < 0 && !mayGoBelowZero(entry.getKey())) {
                    long after = balance(entry.getKey());
                    if (after < 0) {
                        throw new RefusedException(
                                ErrorCode.CONFLICT,
                                "not enough money in " + entry.getKey() + " (balance " + (after - entry.getValue())
                                        + ", needs " + -entry.getValue() + ")");
                    }
                }
            }
        });
    }

    /**
     * Refuses a posting of {@code amount} (already inserted) that took the clearing account {@code account} further
     * from zero than the credit of its linked hub: what that hub may owe this one, or this one it.
     */
    private void requireWithinCredit(String account, long amount) {
        long after = balance(account);
        long before = after - amount;
        if (Math.abs(after) <= Math.abs(before)) {
            return; // towards zero: settling, refunding
        }
        String hub = account.substring("peer:".length());
        long credit = sql.one("SELECT credit FROM linked_hub WHERE name = ?", hub)
                .map(r -> r.integer("credit"))
                .orElse(0L);
        if (Math.abs(after) > credit) {
            throw new CreditExceeded("the credit between this hub and linked hub " + hub + " is " + credit
                    + "; " + Math.abs(before) + " is outstanding and this would make it " + Math.abs(after)
                    + " (the hub operator sets it: edgerent link credit " + hub + " N)");
        }
    }

    /** Moves {@code amount} from one account to another as one transaction. */
    public void transfer(String reference, String from, String to, long amount) {
        post(reference, Map.of(from, -amount, to, amount));
    }

    /** What the account holds: its running balance if it keeps one, else the sum of its entries. */
    public long balance(String account) {
        return sql.transaction(() -> keepsRunningBalance(account)
                ? sql.one("SELECT balance FROM account_balance WHERE account = ?", account)
                        .map(r -> r.integer(1))
                        .orElse(0L)
                : sql.one("SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE account = ?", account)
                        .orElseThrow()
                        .integer(1));
    }

    public Statement statement(String account) {
        return sql.transaction(() -> {
            List<Statement.Line> lines = sql
                    .all(
                            "SELECT t.at, t.ref, e.amount FROM ledger_entry e JOIN ledger_tx t ON t.id = e.tx_id"
                                    + " WHERE e.account = ? ORDER BY t.id",
                            account)
                    .stream()
                    .map(r -> new Statement.Line(r.integer(1), r.text(2), r.integer(3)))
                    .toList();
            return new Statement(account, balance(account), lines);
        });
    }

    /** The sum over all entries: zero, always, when every transaction balanced (a restored backup's too). */
    public long total() {
        return sql.transaction(() -> sql.one("SELECT COALESCE(SUM(amount), 0) FROM ledger_entry")
                .orElseThrow()
                .integer(1));
    }

    private void openAccount(String account) {
        if (sql.one("SELECT id FROM account WHERE id = ?", account).isEmpty()) {
            sql.update("INSERT INTO account(id, created_at) VALUES (?, ?)", account, clock.millis());
            if (keepsRunningBalance(account)) {
                sql.update("INSERT INTO account_balance(account, balance) VALUES (?, 0)", account);
            }
        }
    }
}
