package io.edgerent.systemtests.support;

import java.time.Duration;

/** curl, as a browser's stand-in and an attacker's raw client, with a deadline. */
public final class Curl {
    private Curl() {}

    public static World.Result curl(String... args) {
        String[] command = new String[args.length + 3];
        command[0] = "curl";
        command[1] = "--max-time";
        command[2] = "30";
        System.arraycopy(args, 0, command, 3, args.length);
        return World.run(Duration.ofSeconds(60), command);
    }
}
