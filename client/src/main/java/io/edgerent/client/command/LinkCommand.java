package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "link",
        header = "link this hub with other hubs: add, remove, list (hub operator)",
        sortOptions = false,
        subcommands = {LinkCommand.Add.class, LinkCommand.Credit.class, LinkCommand.Remove.class, LinkCommand.List.class
        },
        description = {
            "Links this hub with another (hub operators; run on the hub machine). The hubs talk DTLS with their own keys;"
                    + " the other hub's operator links this one back the same way. Linked hubs show each other's devices to their"
                    + " renters; a rental of the other hub's device is paid from the renter's wallet here and settled there.",
            "Each link has a credit: the most either hub may owe the other for rentals passed between them (deposits in"
                    + " flight and charges not cleared yet). A rent or extend that would pass it is refused, on both hubs."
                    + " This hub pays the other at most what its renter's vouchers signed, whatever the other says.",
            "Without a subcommand: the links, as `link list` shows them."
        })
final class LinkCommand extends OperatorCommand {

    @Mixin
    OutputOption output;

    LinkCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        return show(context, output, hub.links(adminSecret(), "list", null, null, null, null));
    }

    static int show(Context context, OutputOption output, java.util.List<HubClient.Link> links) {
        if (output.json()) {
            OutputOption.print(context, links.stream().map(LinkCommand::json).toList());
            return 0;
        }
        if (links.isEmpty()) {
            context.out().println("no hubs linked with this one");
            return 0;
        }
        context.out()
                .printf(
                        "%-16s %-32s %-20s %8s %12s %12s  %s%n",
                        "NAME", "ADDRESS", "HEARD", "DEVICES", "CREDIT", "OUTSTANDING", "KEY");
        for (HubClient.Link l : links) {
            context.out()
                    .printf(
                            "%-16s %-32s %-20s %8s %12d %12d  %s%n",
                            l.name(),
                            l.address(),
                            l.heardAt() == null ? "never" : Show.time(l.heardAt()) + (l.stale() ? " (stale)" : ""),
                            l.listings() == null ? "-" : l.listings(),
                            l.credit(),
                            l.outstanding(),
                            l.hubKey());
        }
        return 0;
    }

    private static Map<String, Object> json(HubClient.Link l) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", l.name());
        json.put("address", l.address());
        json.put("hubKey", l.hubKey());
        json.put("heardAt", Show.instant(l.heardAt()));
        json.put("listings", l.listings());
        json.put("stale", l.stale());
        json.put("credit", l.credit());
        json.put("outstanding", l.outstanding());
        return json;
    }

    @Command(
            name = "add",
            description = "Links the hub NAME (a-z, 0-9, '-') that answers at ADDRESS and shows HUB_KEY.")
    static final class Add extends OperatorCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "what this hub calls the other")
        String name;

        @Parameters(index = "1", paramLabel = "ADDRESS", description = "coaps://HOST:PORT")
        String address;

        @Parameters(
                index = "2",
                paramLabel = "HUB_KEY",
                description = "the 'hub key:' line the other hub printed at start"
                        + " (ecdsa-sha2-nistp256 AAAA...), in quotes")
        String key;

        @Option(
                names = "--credit",
                paramLabel = "N",
                defaultValue = "0",
                description = {
                    "the most either hub may owe the other, in the smallest unit (default 0: no rental passes"
                            + " until you set one; change it with `edgerent link credit NAME N`)"
                })
        long credit;

        @Mixin
        OutputOption output;

        Add(Context context) {
            super(context);
        }

        @Override
        int run(HubClient hub) {
            return show(context, output, hub.links(adminSecret(), "add", name, address, key, credit));
        }
    }

    @Command(
            name = "credit",
            description = "Sets the credit of the linked hub NAME: the most either hub may owe the other for rentals"
                    + " passed between them. What is outstanding stays; no new rental passes beyond it.")
    static final class Credit extends OperatorCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "N", description = "in the smallest unit, 0 or more")
        long credit;

        @Mixin
        OutputOption output;

        Credit(Context context) {
            super(context);
        }

        @Override
        int run(HubClient hub) {
            if (credit < 0) {
                throw new UsageException("a credit is 0 or more, got " + credit);
            }
            return show(context, output, hub.links(adminSecret(), "credit", name, null, null, credit));
        }
    }

    @Command(
            name = "remove",
            description = "Removes the link to NAME; a link with rentals not settled yet cannot be removed.")
    static final class Remove extends OperatorCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Mixin
        OutputOption output;

        Remove(Context context) {
            super(context);
        }

        @Override
        int run(HubClient hub) {
            return show(context, output, hub.links(adminSecret(), "remove", name, null, null, null));
        }
    }

    @Command(name = "list", description = "Each link, when it was last heard from and how many devices it listed.")
    static final class List extends OperatorCommand {

        @Mixin
        OutputOption output;

        List(Context context) {
            super(context);
        }

        @Override
        int run(HubClient hub) {
            return show(context, output, hub.links(adminSecret(), "list", null, null, null, null));
        }
    }
}
