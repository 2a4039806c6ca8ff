package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a pip lock file keeps from the requirements it replaces, so it installs from the same places. */
final class LockFiles {

    private static final Pattern FIND_LINKS = Pattern.compile("(-f|--find-links)(\\s+|=)(\\S+)");

    private LockFiles() {}

    /**
     * The index and find-links options of {@code requirements}, with relative folders rewritten to be
     * relative to {@code lockFolder}, where the lock file is written.
     */
    static List<String> indexOptions(Path requirements, Path lockFolder) throws MagicException {
        Path from = requirements.toAbsolutePath().getParent();
        List<String> out = new ArrayList<>();
        for (String line : SpecFiles.optionLines(requirements)) {
            Matcher m = FIND_LINKS.matcher(line);
            if (m.matches() && !m.group(3).contains("://") && !Path.of(m.group(3)).isAbsolute()) {
                Path target = from.resolve(m.group(3)).normalize();
                out.add(m.group(1) + m.group(2) + lockFolder.toAbsolutePath().relativize(target));
            } else {
                out.add(line);
            }
        }
        return out;
    }
}
