package io.edgerent.protocol;

/** A message that does not decode or does not have the fields its type requires. */
public class MalformedMessageException extends RuntimeException {
    public MalformedMessageException(String message) {
        super(message);
    }
}
