package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "wallet",
        header = "your wallet; deposit, withdraw: rail money (hub operator)",
        subcommands = {WalletCommand.Deposit.class, WalletCommand.Withdraw.class},
        description = {
            "Your renter wallet: its account, balance and statement.",
            "deposit and withdraw (hub operator) record money received into or paid out of an account through the settlement rail."
                    + " Amounts are whole numbers in the smallest currency unit."
        })
final class WalletCommand extends HubCommand {
    @Mixin
    OutputOption output;

    WalletCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        var statement = hub.wallet(context.renterKey());
        if (output.json()) {
            OutputOption.print(context, Show.statementJson(statement));
        } else {
            Show.statement(context.out(), statement);
        }
        return 0;
    }

    /** Money in or out of an account through the settlement rail, once per reference. */
    abstract static class Move extends OperatorCommand {
        @Parameters(
                index = "0",
                paramLabel = "ACCOUNT",
                description = "renter:KEYHEX as `edgerent wallet` shows it, or owner:NAME")
        String account;

        @Parameters(index = "1", paramLabel = "AMOUNT", description = "a whole number in the smallest currency unit")
        String amount;

        @Option(
                names = "--ref",
                paramLabel = "TEXT",
                required = true,
                description = "the rail's reference; the same reference records the move once")
        String reference;

        @Mixin
        OutputOption output;

        Move(Context context) {
            super(context);
        }

        abstract String direction();

        @Override
        int run(HubClient hub) {
            var statement =
                    hub.moveMoney(adminSecret(), direction(), account, Show.amount(amount, "AMOUNT"), reference);
            if (output.json()) {
                OutputOption.print(context, Show.statementJson(statement));
            } else {
                Show.statement(context.out(), statement);
            }
            return 0;
        }
    }

    @Command(name = "deposit", description = "Records money received into ACCOUNT (hub operator).")
    static final class Deposit extends Move {
        Deposit(Context context) {
            super(context);
        }

        @Override
        String direction() {
            return "deposit";
        }
    }

    @Command(name = "withdraw", description = "Records money paid out of ACCOUNT (hub operator).")
    static final class Withdraw extends Move {
        Withdraw(Context context) {
            super(context);
        }

        @Override
        String direction() {
            return "withdraw";
        }
    }
}
