package dev.drydock.kernel.runtime;

/**
 * Cursor positions: Jupyter counts Unicode code points (protocol 5.2+), Java strings count UTF-16
 * units; they differ after any character outside the Basic Multilingual Plane (emoji).
 */
final class Cursor {

    private Cursor() {}

    static int length(String code) {
        return code.codePointCount(0, code.length());
    }

    static int toJava(String code, int codePoints) {
        return code.offsetByCodePoints(0, Math.max(0, Math.min(codePoints, length(code))));
    }

    static int toJupyter(String code, int index) {
        return code.codePointCount(0, Math.max(0, Math.min(index, code.length())));
    }
}
