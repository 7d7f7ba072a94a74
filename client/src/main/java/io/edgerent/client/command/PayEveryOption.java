package io.edgerent.client.command;

import picocli.CommandLine.Option;

/** {@code --pay-every}: how often the payer signs a voucher, for the commands that pay as you go. */
public final class PayEveryOption {
    @Option(
            names = "--pay-every",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "how often to sign a voucher (default 60)")
    private int seconds;

    /** The interval, refused when it is not a positive number of seconds. */
    int seconds() {
        if (seconds <= 0) {
            throw new UsageException("--pay-every takes a positive number of seconds");
        }
        return seconds;
    }
}
