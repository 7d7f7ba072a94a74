package io.edgerent.hub.payment;

/**
 * Where money enters and leaves the hub. The hub operator records each movement with the rail's
 * own reference, which makes recording it twice harmless: the second is refused.
 */
public interface SettlementRail {
    void deposit(String account, long amount, String reference);

    void withdraw(String account, long amount, String reference);

    /** The default rail: the hub's own ledger, where the operator records money received and paid out by other means. */
    static SettlementRail internal(Ledger ledger) {
        return new SettlementRail() {
            @Override
            public void deposit(String account, long amount, String reference) {
                ledger.transfer("rail:" + reference, Ledger.RAIL, account, amount);
            }

            @Override
            public void withdraw(String account, long amount, String reference) {
                ledger.transfer("rail:" + reference, account, Ledger.RAIL, amount);
            }
        };
    }
}
