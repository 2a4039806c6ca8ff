package dev.drydock.magics.env;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One package an environment asks for, with the version constraint as written: {@code ==1.2} (pip),
 * {@code =1.2} (conda's "1.2 or 1.2.*"), {@code =1.2-3} (apt), or empty for "any version".
 */
public record Pin(Manager manager, String name, String constraint) {

    public enum Manager {
        PIP, CONDA, APT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    // PEP 508 name, optional [extras], then the version specifiers up to an environment marker.
    private static final Pattern REQUIREMENT =
            Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*)\\s*(?:\\[[^\\]]*])?\\s*([^;]*?)\\s*(?:;.*)?");
    private static final Pattern CONDA = Pattern.compile("([A-Za-z0-9_][A-Za-z0-9_.+-]*)\\s*(.*?)");
    private static final Pattern APT = Pattern.compile("([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9]+)?(?:=(\\S+))?");

    /** A line of a requirements file; options ({@code -r}, {@code --find-links}), URLs and paths are not pins. */
    public static Optional<Pin> pip(String line) {
        String text = stripComment(line);
        if (text.isEmpty() || text.startsWith("-") || text.contains("://") || text.startsWith(".")
                || text.startsWith("/") || text.contains(" @ ")) {
            return Optional.empty();
        }
        Matcher m = REQUIREMENT.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new Pin(Manager.PIP, normalizePip(m.group(1)), m.group(2).replace(" ", "")));
    }

    /** A conda dependency: {@code numpy}, {@code numpy=1.26}, {@code numpy==1.26.4}, {@code conda-forge::numpy=1.26=py311*}. */
    public static Optional<Pin> conda(String dependency) {
        String text = stripComment(dependency);
        int channel = text.indexOf("::");
        if (channel >= 0) {
            text = text.substring(channel + 2);
        }
        Matcher m = CONDA.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        String constraint = m.group(2).replace(" ", "");
        if (!constraint.isEmpty() && Character.isDigit(constraint.charAt(0))) {
            // "numpy 1.26" is the match-spec spelling of "numpy=1.26".
            constraint = "=" + constraint;
        }
        if (constraint.startsWith("=") && !constraint.startsWith("==")) {
            // The build string after a second "=" says nothing about the version.
            int build = constraint.indexOf('=', 1);
            if (build > 0) {
                constraint = "==" + constraint.substring(1, build);
            }
        }
        return Optional.of(new Pin(Manager.CONDA, m.group(1).toLowerCase(Locale.ROOT), constraint));
    }

    /** A line of an apt list: {@code curl} or {@code curl=7.88.1-10+deb12u5}. */
    public static Optional<Pin> apt(String line) {
        String text = stripComment(line);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = APT.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new Pin(Manager.APT, m.group(1), m.group(2) == null ? "" : "=" + m.group(2)));
    }

    /** PEP 503: names compare case-insensitively with runs of -, _ and . as one -. */
    public static String normalizePip(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[-_.]+", "-");
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return (hash < 0 ? line : line.substring(0, hash)).strip();
    }
}
