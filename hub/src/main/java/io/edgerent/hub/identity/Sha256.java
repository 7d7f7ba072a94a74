package io.edgerent.hub.identity;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256, as the hub stores secrets it must recognise but never show again (session cookies, codes, seen signatures). */
public final class Sha256 {
    private Sha256() {}

    public static byte[] of(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
