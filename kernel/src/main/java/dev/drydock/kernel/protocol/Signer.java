package dev.drydock.kernel.protocol;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC signatures over a message's four serialized dictionaries, as jupyter_client computes them.
 * An empty key turns signing off (the connection file's documented way to disable it).
 */
public final class Signer {

    private final Mac prototype;

    /**
     * @param scheme the connection file's {@code signature_scheme}, such as {@code hmac-sha256}
     * @throws IllegalArgumentException for a scheme the JDK has no MAC for
     */
    public Signer(String key, String scheme) {
        if (key.isEmpty()) {
            prototype = null;
            return;
        }
        String algorithm = scheme.toLowerCase(Locale.ROOT).replace("-", "");
        try {
            prototype = Mac.getInstance(algorithm);
            prototype.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), algorithm));
        } catch (NoSuchAlgorithmException | InvalidKeyException ex) {
            throw new IllegalArgumentException("Unsupported signature_scheme " + scheme, ex);
        }
    }

    public boolean enabled() {
        return prototype != null;
    }

    /** The hex digest of the parts, or {@code ""} when signing is off. */
    public String sign(byte[]... parts) {
        if (prototype == null) {
            return "";
        }
        return HexFormat.of().formatHex(digest(parts));
    }

    /** Whether {@code signature} is right for the parts; compared in constant time. */
    public boolean verify(byte[] signature, byte[]... parts) {
        if (prototype == null) {
            return true;
        }
        byte[] expected = HexFormat.of().formatHex(digest(parts)).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signature);
    }

    private byte[] digest(byte[]... parts) {
        Mac mac;
        try {
            // Mac is not thread-safe; a clone keeps the key schedule without re-initialising.
            mac = (Mac) prototype.clone();
        } catch (CloneNotSupportedException ex) {
            throw new IllegalStateException("The JDK's HMAC cannot be cloned", ex);
        }
        for (byte[] part : parts) {
            mac.update(part);
        }
        return mac.doFinal();
    }
}
