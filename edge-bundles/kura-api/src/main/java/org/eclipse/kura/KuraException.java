package org.eclipse.kura;

/** Stand-in for Kura's checked exception, which {@code CryptoService} declares. */
public class KuraException extends Exception {
    public KuraException(String message) {
        super(message);
    }
}
