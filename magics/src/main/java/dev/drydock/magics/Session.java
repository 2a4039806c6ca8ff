package dev.drydock.magics;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * What the magics of one kernel share: the notebook's folder (relative paths resolve against it), the
 * variables loaded by {@code %dotenv} and {@code %setenv}, and the secret masker.
 *
 * <p>Variables are looked up in the session first (the latest {@code %dotenv} or {@code %setenv} of
 * a name wins), then in the process environment. Values that are secrets (by name, see {@link SecretNames},
 * or marked by the user) also go into the {@link #masker()}; settings do not.
 */
public final class Session implements AutoCloseable {

    /** A portable environment variable name, as POSIX shells accept it. */
    public static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /**
     * The one built-in variable: the notebook's folder as an absolute path. Mounting it at the same path
     * ({@code -v ${NOTEBOOK_DIR}:${NOTEBOOK_DIR}}) lets a kernel inside a container hand the host's engine
     * paths that mean the same there.
     */
    public static final String NOTEBOOK_DIR = "NOTEBOOK_DIR";

    private static final Pattern REFERENCE = Pattern.compile("\\$\\$\\{|\\$\\{([^}]*)}");

    private final Path workingDirectory;
    private final String id = java.util.UUID.randomUUID().toString();
    private final SecretMasker masker = new SecretMasker();
    private final Map<String, String> processEnvironment;
    private final Map<String, String> variables = new ConcurrentHashMap<>();
    private volatile ClassPath classPath = ClassPath.NONE;
    /** Kernel-wide state by type, in the order it was made; see {@link #shared}. */
    private final Map<Class<?>, AutoCloseable> shared = new LinkedHashMap<>();

    public Session(Path workingDirectory) {
        this(workingDirectory, System.getenv());
    }

    /** A session over a given process environment, so tests do not depend on the machine's. */
    public Session(Path workingDirectory, Map<String, String> processEnvironment) {
        this.workingDirectory = workingDirectory.toAbsolutePath().normalize();
        this.processEnvironment = Map.copyOf(processEnvironment);
    }

    /** A random id per session: the label value that marks the containers and images this kernel made. */
    public String id() {
        return id;
    }

    public Path workingDirectory() {
        return workingDirectory;
    }

    /** The masker every outgoing text passes through; values loaded from a {@code .env} are in it. */
    public SecretMasker masker() {
        return masker;
    }

    /** The classpath of the notebook's Java cells, which {@code %maven} and {@code %classpath add} extend. */
    public ClassPath classPath() {
        return classPath;
    }

    /** Connects the magics to the Java engine's classpath; the kernel binds it once its engine exists. */
    public void bindClassPath(ClassPath classPath) {
        this.classPath = classPath == null ? ClassPath.NONE : classPath;
    }

    /** The value of a session variable, else of the process environment variable, else {@link #NOTEBOOK_DIR}. */
    public Optional<String> variable(String name) {
        String value = variables.get(name);
        if (value == null) {
            value = processEnvironment.get(name);
        }
        if (value == null && name.equals(NOTEBOOK_DIR)) {
            value = workingDirectory.toString();
        }
        return Optional.ofNullable(value);
    }

    /** Sets a variable that is not secret (a setting). */
    public void setVariable(String name, String value) {
        variables.put(name, value);
    }

    /** Sets a variable whose value is a secret: it is masked from now on. */
    public void setSecret(String name, String value) {
        masker.add(value);
        variables.put(name, value);
    }

    /** {@link #setSecret} or {@link #setVariable}, as {@code secret} says. */
    public void setVariable(String name, String value, boolean secret) {
        if (secret) {
            setSecret(name, value);
        } else {
            setVariable(name, value);
        }
    }

    /**
     * Every variable {@link #variable} can answer, as a read-only map: the process environment overlaid with
     * the session's variables and {@link #NOTEBOOK_DIR}. Cells read it through {@code env()}.
     */
    public Map<String, String> variables() {
        return java.util.Collections.unmodifiableMap(subprocessEnvironment());
    }

    /**
     * Replaces {@code ${NAME}} with the variable's value. {@code $${} stands for a literal {@code ${}
     * (doubling the dollar, as Compose files do; a backslash escape would clash with Windows paths).
     * A lone {@code $} or {@code $NAME} without braces is left alone.
     *
     * @throws MagicException a usage error naming the first variable that is not set
     */
    public String expand(String text) throws MagicException {
        if (!text.contains("${")) {
            return text;
        }
        var matcher = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String replacement;
            if (matcher.group(1) == null) {
                replacement = "${";
            } else {
                String name = matcher.group(1);
                if (!VARIABLE_NAME.matcher(name).matches()) {
                    throw MagicException.usage("Bad variable reference ${" + name + "}: a name is letters, digits"
                            + " and _ and does not start with a digit. Write $${ for a literal ${.");
                }
                replacement = variable(name).orElseThrow(() -> MagicException.usage("Variable " + name
                        + " is not set. Load it with %dotenv, set it with %setenv " + name
                        + "=VALUE, or write $${" + name + "} for the literal text."));
            }
            matcher.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /** The environment of {@code %%bash}, {@code %%sh} and {@code !cmd}: the process's, then the session's. */
    public Map<String, String> subprocessEnvironment() {
        Map<String, String> env = new HashMap<>(processEnvironment);
        env.putAll(variables);
        env.putIfAbsent(NOTEBOOK_DIR, workingDirectory.toString());
        return env;
    }

    /** A path as the person typed it, against the working directory; {@code ~} is the home folder, as in IPython. */
    public Path resolve(String path) {
        if (path.equals("~") || path.startsWith("~/")) {
            return Path.of(System.getProperty("user.home")).resolve(path.substring(Math.min(2, path.length())))
                    .normalize();
        }
        return workingDirectory.resolve(path).normalize();
    }

    /**
     * The one {@code type} of this session, made on first use: state that outlives a cell and ends with the
     * kernel, such as the local jobs it watches. {@link #close} closes it.
     */
    public synchronized <T extends AutoCloseable> T shared(Class<T> type, Supplier<T> make) {
        return type.cast(shared.computeIfAbsent(type, t -> make.get()));
    }

    /**
     * Ends the session (the kernel shuts down): closes what {@link #shared} made, newest first; one failing
     * does not keep the others open.
     */
    @Override
    public void close() {
        List<AutoCloseable> closing;
        synchronized (this) {
            closing = new ArrayList<>(shared.values());
        }
        for (int i = closing.size() - 1; i >= 0; i--) {
            try {
                closing.get(i).close();
            } catch (Exception e) {
                // Shutting down: nothing left to tell, and the rest must still close.
            }
        }
    }
}
