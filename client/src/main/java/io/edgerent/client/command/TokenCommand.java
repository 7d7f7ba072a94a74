package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "token",
        header = "a one-time registration token for an owner's device (hub operator)",
        sortOptions = false,
        description = {
            "Creates a one-time registration token for one of NAME's devices. Give it to the device (edgerent device --token ...);"
                    + " it works once. Run by the hub operator, who holds the hub's admin secret."
        })
final class TokenCommand extends OperatorCommand {
    @Option(
            names = "--owner",
            paramLabel = "NAME",
            required = true,
            description = "the owner the device will belong to")
    String owner;

    @Option(
            names = "--dashboard",
            description = {
                "instead, a one-time invitation for NAME to sign up on the hub's web pages and see"
                        + " their owner dashboard (devices, rentals, earnings, wipes); prints the sign-up link. One account per owner."
            })
    boolean dashboard;

    TokenCommand(Context context) {
        super(context);
    }

    @Override
    int run(HubClient hub) {
        if (dashboard) {
            HubClient.Invitation invite = hub.inviteOwner(adminSecret(), owner);
            context.out().println(invite.code());
            context.out()
                    .println("owner " + owner + " signs up for the dashboard (once) at "
                            + WebCommand.link(
                                    hub.hub().getHost(), invite.httpPort(), invite.httpsPort(), invite.path()));
            return 0;
        }
        context.out().println(hub.issueToken(adminSecret(), owner));
        return 0;
    }
}
