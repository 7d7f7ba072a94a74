package io.edgerent.protocol;

/** Why the hub refused a request, and the CoAP response code that carries it (class, detail). */
public enum ErrorCode {
    BAD_REQUEST(4, 0),
    UNAUTHORIZED(4, 1),
    FORBIDDEN(4, 3),
    NOT_FOUND(4, 4),
    CONFLICT(4, 9),
    PRECONDITION_FAILED(4, 12),
    UNPROCESSABLE(4, 22),
    /** A linked hub the request needs does not answer now. */
    UNAVAILABLE(5, 3);

    public final int codeClass;
    public final int codeDetail;

    ErrorCode(int codeClass, int codeDetail) {
        this.codeClass = codeClass;
        this.codeDetail = codeDetail;
    }
}
