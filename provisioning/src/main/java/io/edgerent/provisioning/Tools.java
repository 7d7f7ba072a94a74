package io.edgerent.provisioning;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The command-line tools provisioning drives (mtools, xz), with their output kept for the error message. */
final class Tools {
    private Tools() {}

    record Result(int code, String out, String err) {}

    static Result run(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.put("MTOOLS_SKIP_CHECK", "1"); // images made by other tools may have geometry mtools would question
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new ProvisionException(command.get(0) + " is not installed (apt-get install mtools xz-utils)");
        }
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        try {
            return new Result(p.waitFor(), out, err.join());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }

    static void check(Result r, String what) {
        if (r.code() != 0) {
            throw new ProvisionException("could not " + what + ": " + r.err().strip());
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
