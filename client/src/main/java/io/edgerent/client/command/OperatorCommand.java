package io.edgerent.client.command;

import picocli.CommandLine.Mixin;

/** A command only the hub operator may run: it proves it with the hub's admin secret, not with a renter key. */
abstract class OperatorCommand extends HubCommand {
    @Mixin
    AdminOption admin;

    OperatorCommand(Context context) {
        super(context);
    }

    @Override
    boolean asRenter() {
        return false;
    }

    /** The admin secret, read from --admin-secret or the hub's data directory. */
    String adminSecret() {
        return admin.read(context);
    }
}
