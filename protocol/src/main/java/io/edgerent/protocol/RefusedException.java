package io.edgerent.protocol;

/** A request the hub understood and refused; the message tells the caller what to do about it. */
public class RefusedException extends RuntimeException {
    private final ErrorCode code;

    public RefusedException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
