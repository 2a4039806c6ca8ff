package dev.drydock.kernel.java;

import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cell that is one literal, read without javac: a decimal {@code int} or {@code long} (with a sign,
 * underscores and the {@code L} suffix as Java allows them), {@code true}, {@code false}, or a string
 * literal without escapes. JShell would compile it like any expression (four javac tasks, 5–15 ms);
 * anything this does not recognise exactly, including every literal Java would reject, goes to JShell.
 */
record Literal(Object value) {

    private static final Pattern DECIMAL = Pattern.compile("(-?)(0|[1-9](?:_*[0-9])*)([lL]?)");
    private static final BigInteger LONG_LIMIT = BigInteger.ONE.shiftLeft(63);
    private static final BigInteger INT_LIMIT = BigInteger.ONE.shiftLeft(31);

    /** The literal {@code code} is, or {@code null} when it is anything else. */
    static Literal of(String code) {
        if (code.equals("true") || code.equals("false")) {
            return new Literal(Boolean.valueOf(code));
        }
        if (code.length() >= 2 && code.startsWith("\"") && code.endsWith("\"")) {
            String text = code.substring(1, code.length() - 1);
            boolean plain = text.chars().noneMatch(c -> c == '"' || c == '\\' || c == '\n' || c == '\r');
            return plain ? new Literal(text) : null;
        }
        Matcher decimal = DECIMAL.matcher(code);
        if (!decimal.matches()) {
            return null;
        }
        BigInteger magnitude = new BigInteger(decimal.group(2).replace("_", ""));
        boolean negative = !decimal.group(1).isEmpty();
        boolean isLong = !decimal.group(3).isEmpty();
        // As javac: 2147483648 (2^31) is a literal only after a minus; anything larger is an error.
        BigInteger limit = isLong ? LONG_LIMIT : INT_LIMIT;
        if (magnitude.compareTo(limit) > 0 || magnitude.equals(limit) && !negative) {
            return null;
        }
        BigInteger signed = negative ? magnitude.negate() : magnitude;
        return new Literal(isLong ? (Object) signed.longValueExact() : (Object) signed.intValueExact());
    }
}
