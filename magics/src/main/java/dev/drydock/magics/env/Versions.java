package dev.drydock.magics.env;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Version constraints as the package managers read them. Pip and conda versions compare by PEP 440's
 * main rules (numeric release segments, then a/b/rc pre-releases before the release, .post after,
 * .dev before everything); apt pins name one exact Debian version, as {@code apt-get install pkg=V} does.
 */
public final class Versions {

    private static final Pattern SPECIFIER = Pattern.compile("(===|==|!=|~=|>=|<=|>|<|=)?\\s*(\\S+)");
    private static final Pattern PEP440 = Pattern.compile(
            "v?(?:(\\d+)!)?(\\d+(?:\\.\\d+)*)(?:[-_.]?(a|b|rc|alpha|beta|c|pre|preview)[-_.]?(\\d*))?"
                    + "(?:[-_.]?(?:post|rev|r)[-_.]?(\\d*))?(?:[-_.]?dev[-_.]?(\\d*))?(?:\\+.*)?");

    private Versions() {}

    public static boolean satisfies(Pin.Manager manager, String constraint, String found) {
        if (found == null) {
            return false;
        }
        if (constraint == null || constraint.isBlank()) {
            return true;
        }
        if (manager == Pin.Manager.APT) {
            return constraint.substring(constraint.startsWith("=") ? 1 : 0).equals(found);
        }
        for (String part : constraint.split(",")) {
            if (!part.isBlank() && !satisfiesOne(manager, part.strip(), found)) {
                return false;
            }
        }
        return true;
    }

    private static boolean satisfiesOne(Pin.Manager manager, String specifier, String found) {
        Matcher m = SPECIFIER.matcher(specifier);
        if (!m.matches()) {
            return false;
        }
        String op = m.group(1) == null ? (manager == Pin.Manager.CONDA ? "=" : "==") : m.group(1);
        String version = m.group(2);
        return switch (op) {
            case "===" -> version.equals(found);
            case "==" -> version.endsWith(".*") ? prefixMatch(version.substring(0, version.length() - 2), found)
                    : compare(found, version) == 0;
            // Conda's "=1.2" means 1.2 or any 1.2.x; "=1.2.*" the same.
            case "=" -> prefixMatch(version.endsWith(".*") ? version.substring(0, version.length() - 2) : version, found);
            case "!=" -> version.endsWith(".*") ? !prefixMatch(version.substring(0, version.length() - 2), found)
                    : compare(found, version) != 0;
            case ">=" -> compare(found, version) >= 0;
            case "<=" -> compare(found, version) <= 0;
            case ">" -> compare(found, version) > 0;
            case "<" -> compare(found, version) < 0;
            case "~=" -> compatible(version, found);
            default -> false;
        };
    }

    /** {@code ~=1.4.2}: at least 1.4.2 and still 1.4.*. */
    private static boolean compatible(String version, String found) {
        int lastDot = release(version).lastIndexOf('.');
        if (lastDot < 0) {
            return false;
        }
        return compare(found, version) >= 0 && prefixMatch(release(version).substring(0, lastDot), found);
    }

    private static String release(String version) {
        Matcher m = PEP440.matcher(version.toLowerCase(Locale.ROOT));
        return m.matches() ? m.group(2) : version;
    }

    /** Whether {@code found}'s release starts with the segments of {@code prefix}: 1.2 matches 1.2 and 1.2.7, not 1.20. */
    private static boolean prefixMatch(String prefix, String found) {
        List<BigInteger> want = segments(release(prefix));
        List<BigInteger> have = segments(release(found));
        if (want.isEmpty() || have.isEmpty()) {
            return found.equals(prefix) || found.startsWith(prefix + ".");
        }
        for (int i = 0; i < want.size(); i++) {
            BigInteger segment = i < have.size() ? have.get(i) : BigInteger.ZERO;
            if (!segment.equals(want.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Compares two versions by PEP 440's main rules; versions it cannot read compare as text. */
    public static int compare(String a, String b) {
        Matcher ma = PEP440.matcher(a.toLowerCase(Locale.ROOT));
        Matcher mb = PEP440.matcher(b.toLowerCase(Locale.ROOT));
        if (!ma.matches() || !mb.matches()) {
            return a.compareTo(b);
        }
        int c = number(ma.group(1)).compareTo(number(mb.group(1)));
        if (c != 0) {
            return c;
        }
        List<BigInteger> ra = segments(ma.group(2));
        List<BigInteger> rb = segments(mb.group(2));
        for (int i = 0; i < Math.max(ra.size(), rb.size()); i++) {
            c = (i < ra.size() ? ra.get(i) : BigInteger.ZERO).compareTo(i < rb.size() ? rb.get(i) : BigInteger.ZERO);
            if (c != 0) {
                return c;
            }
        }
        return suffixKey(ma).compareTo(suffixKey(mb));
    }

    /**
     * Orders what follows the release: dev-only before pre-releases before the release before post-releases.
     * As a padded text key so a plain string comparison does it.
     */
    private static String suffixKey(Matcher m) {
        String pre = m.group(3);
        String preRank = pre == null ? (m.group(5) == null && m.group(6) != null ? "0" : "4")
                : switch (pre) {
                    case "a", "alpha" -> "1";
                    case "b", "beta" -> "2";
                    default -> "3";
                };
        String post = m.group(5) == null ? "0" : "1";
        String dev = m.group(6) == null ? "1" : "0";
        return preRank + pad(m.group(4)) + post + pad(m.group(5)) + dev + pad(m.group(6));
    }

    private static String pad(String digits) {
        String n = digits == null || digits.isEmpty() ? "0" : digits;
        return "0".repeat(Math.max(0, 20 - n.length())) + n;
    }

    private static BigInteger number(String digits) {
        return digits == null || digits.isEmpty() ? BigInteger.ZERO : new BigInteger(digits);
    }

    private static List<BigInteger> segments(String release) {
        List<BigInteger> out = new ArrayList<>();
        for (String part : release.split("\\.")) {
            if (!part.matches("\\d+")) {
                return List.of();
            }
            out.add(new BigInteger(part));
        }
        return out;
    }
}
