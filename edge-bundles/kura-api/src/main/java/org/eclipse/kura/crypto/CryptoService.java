package org.eclipse.kura.crypto;

import org.eclipse.kura.KuraException;

/**
 * Stand-in for the one method of Kura's {@code CryptoService} the agent calls: Kura encrypts every
 * {@code Password} attribute when the owner applies a form, and components decrypt it with this. Same package and
 * name as Kura's (whose interface has more methods, not called here).
 */
public interface CryptoService {
    char[] decryptAes(char[] encryptedValue) throws KuraException;
}
