package dev.drydock.kernel.runtime;

import dev.drydock.magics.SecretMasker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Masks every string inside a MIME bundle, JSON values included, before it leaves the kernel. */
final class Masks {

    private Masks() {}

    static Map<String, Object> bundle(SecretMasker masker, Map<String, ?> bundle) {
        Map<String, Object> masked = new LinkedHashMap<>();
        bundle.forEach((key, value) -> masked.put(key, value(masker, value)));
        return masked;
    }

    private static Object value(SecretMasker masker, Object value) {
        if (value instanceof String text) {
            return masker.mask(text);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> masked = new LinkedHashMap<>();
            map.forEach((key, inner) -> masked.put(String.valueOf(key), value(masker, inner)));
            return masked;
        }
        if (value instanceof List<?> list) {
            List<Object> masked = new ArrayList<>(list.size());
            list.forEach(inner -> masked.add(value(masker, inner)));
            return masked;
        }
        return value;
    }
}
