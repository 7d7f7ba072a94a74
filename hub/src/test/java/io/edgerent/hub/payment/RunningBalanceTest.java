package io.edgerent.hub.payment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.Sql;
import io.edgerent.protocol.RefusedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The running balances of renter wallets and clearing accounts (table {@code account_balance}) stay equal to the
 * sums of their entries whatever is posted, refused or not, across restarts; and a renter's wallet is checked from
 * its running balance, not from its history.
 */
class RunningBalanceTest {
    /** Accounts of every kind: kept running balances, summed ones, the rail and a clearing account. */
    static final List<String> ACCOUNTS = List.of(
            Ledger.RAIL,
            "renter:aa",
            "renter:bb",
            Ledger.clearing("p"),
            Ledger.ownerEarnings("olga"),
            Ledger.HUB_FEES,
            Ledger.escrow("r-1"));

    static final long CREDIT = 5000;

    /** One transfer between two of {@link #ACCOUNTS}, or ({@code restart}) the hub closing and opening its database. */
    record Move(int from, int to, int amount, boolean restart) {}

    @Provide
    Arbitrary<Move> moves() {
        Arbitrary<Integer> account = Arbitraries.integers().between(0, ACCOUNTS.size() - 1);
        return Combinators.combine(
                        account,
                        account,
                        Arbitraries.integers().between(1, 4000),
                        Arbitraries.integers().between(0, 19).map(n -> n == 0))
                .as(Move::new)
                .filter(m -> m.from() != m.to());
    }

    @Property(tries = 60)
    void every_running_balance_is_the_sum_of_its_entries(
            @ForAll @Size(max = 80) List<@net.jqwik.api.From("moves") Move> moves) throws Exception {
        Path dir = Files.createTempDirectory("running-balance");
        Database database = Database.embedded(dir);
        try {
            Sql sql = new Sql(database);
            sql.transaction(() -> sql.update(
                    "INSERT INTO linked_hub(name, address, hub_key, added_at, credit) VALUES (?, ?, ?, ?, ?)",
                    "p",
                    "coaps://127.0.0.9:5684",
                    "ecdsa-sha2-nistp256 AAAA",
                    0,
                    CREDIT));
            Ledger ledger = new Ledger(sql, Clock.systemUTC());
            int n = 0;
            for (Move move : moves) {
                if (move.restart()) {
                    database.close();
                    database = Database.embedded(dir);
                    ledger = new Ledger(new Sql(database), Clock.systemUTC());
                    continue;
                }
                try {
                    ledger.transfer("move-" + n++, ACCOUNTS.get(move.from()), ACCOUNTS.get(move.to()), move.amount());
                } catch (RefusedException refused) {
                    // not enough money, or beyond the credit: nothing was recorded, as the sums below check
                }
            }
            Sql check = new Sql(database);
            Map<String, Long> sums = new HashMap<>();
            Map<String, Long> kept = new HashMap<>();
            check.transaction(() -> {
                check.all("SELECT account, SUM(amount) FROM ledger_entry GROUP BY account")
                        .forEach(r -> sums.put(r.text(1), r.integer(2)));
                check.all("SELECT account, balance FROM account_balance")
                        .forEach(r -> kept.put(r.text(1), r.integer(2)));
            });
            for (String account : ACCOUNTS) {
                long sum = sums.getOrDefault(account, 0L);
                assertEquals(sum, ledger.balance(account), account + ": balance against the sum of its entries");
                if (Ledger.keepsRunningBalance(account) && sums.containsKey(account)) {
                    assertEquals(sum, kept.get(account), account + ": the running balance drifted from its entries");
                }
            }
            assertEquals(
                    ACCOUNTS.stream()
                            .filter(Ledger::keepsRunningBalance)
                            .filter(sums::containsKey)
                            .sorted()
                            .toList(),
                    kept.keySet().stream().sorted().toList(),
                    "a running balance for each renter wallet and clearing account used, and no other");
            assertEquals(0, ledger.total());
        } finally {
            database.close();
        }
    }

    /**
     * After a long history, an entry slipped in behind the ledger's back (not through a posting) changes the sum of
     * the wallet's entries but neither its balance nor what it may spend: the check reads the running balance alone,
     * one row, however many entries the wallet has.
     */
    @Test
    void a_wallet_with_a_long_history_is_checked_from_its_running_balance_alone(@TempDir Path dir) {
        try (Database database = Database.embedded(dir)) {
            Sql sql = new Sql(database);
            Ledger ledger = new Ledger(sql, Clock.systemUTC());
            String wallet = "renter:aa";
            for (int i = 0; i < 1000; i++) {
                ledger.transfer("in-" + i, Ledger.RAIL, wallet, 3);
                ledger.transfer("out-" + i, wallet, Ledger.escrow("r-" + i), 2);
            }
            assertEquals(1000, ledger.balance(wallet));
            sql.transaction(() -> {
                sql.update("INSERT INTO ledger_tx(ref, at) VALUES ('behind-the-back', 0)");
                long tx = sql.one("SELECT id FROM ledger_tx WHERE ref = 'behind-the-back'")
                        .orElseThrow()
                        .integer(1);
                sql.update("INSERT INTO ledger_entry(tx_id, account, amount) VALUES (?, ?, 1000000)", tx, wallet);
                sql.update("INSERT INTO ledger_entry(tx_id, account, amount) VALUES (?, ?, -1000000)", tx, Ledger.RAIL);
            });

            assertEquals(1000, ledger.balance(wallet), "read from the running balance, not summed");
            assertThrows(RefusedException.class, () -> ledger.transfer("spend", wallet, Ledger.escrow("r-x"), 1001));
            ledger.transfer("spend", wallet, Ledger.escrow("r-x"), 1000);
            assertEquals(0, ledger.balance(wallet));
        }
    }
}
