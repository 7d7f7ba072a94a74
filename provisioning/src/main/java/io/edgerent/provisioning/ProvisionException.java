package io.edgerent.provisioning;

/** Provisioning cannot go on; the message says why and, where it can, what to do. */
final class ProvisionException extends RuntimeException {
    ProvisionException(String message) {
        super(message);
    }
}
