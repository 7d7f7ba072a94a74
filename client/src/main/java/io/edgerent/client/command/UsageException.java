package io.edgerent.client.command;

/** Wrong use of a command; the message says what is expected. Exit code 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
