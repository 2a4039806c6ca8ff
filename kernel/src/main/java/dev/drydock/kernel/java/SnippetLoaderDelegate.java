package dev.drydock.kernel.java;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jdk.jshell.execution.LoaderDelegate;
import jdk.jshell.spi.ExecutionControl.ClassBytecodes;
import jdk.jshell.spi.ExecutionControl.ClassInstallException;
import jdk.jshell.spi.ExecutionControl.InternalException;

/**
 * Defines the classes JShell compiles for cells in a loader whose parent is the kernel's own loader.
 *
 * <p>JDK 17's {@code DefaultLoaderDelegate} always hangs off the system class loader. That happens to be
 * the kernel's loader under {@code java -jar}, but not in every host (IDE runners, test forks), and a
 * cell that sees a second copy of a Drydock class sees none of its static state. Parent-first
 * delegation to the kernel's loader guarantees one copy.
 */
final class SnippetLoaderDelegate implements LoaderDelegate {

    private final SnippetClassLoader loader;
    private static final java.util.regex.Pattern WRAPPER = java.util.regex.Pattern.compile("REPL\\.\\$JShell\\$\\d+[A-Z]*");
    /** Loaded classes in the order they were loaded, so the newest definition of a name comes last. */
    private final Map<String, Class<?>> classes = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());

    SnippetLoaderDelegate(ClassLoader parent) {
        this.loader = new SnippetClassLoader(parent);
    }

    ClassLoader classLoader() {
        return loader;
    }

    @Override
    public void load(ClassBytecodes[] cbcs) throws ClassInstallException {
        boolean[] installed = new boolean[cbcs.length];
        try {
            for (ClassBytecodes cbc : cbcs) {
                loader.declare(cbc.name(), cbc.bytecodes());
            }
            for (int i = 0; i < cbcs.length; i++) {
                Class<?> type = loader.loadClass(cbcs[i].name());
                classes.remove(cbcs[i].name());
                classes.put(cbcs[i].name(), type);
                installed[i] = true;
                // Links the class now, so a broken class fails here and not in the middle of a cell.
                type.getDeclaredMethods();
            }
        } catch (Throwable ex) {
            throw new ClassInstallException("load: " + ex.getMessage(), installed);
        }
    }

    /**
     * The value of a cell's top-level variable, read from the newest wrapper class that declares it, or
     * {@code null} when none does. JShell keeps a variable as a public static field of its snippet's
     * wrapper class ({@code REPL.$JShell$N}); nested classes a cell declared are not looked at.
     */
    /** A variable's value, which may be {@code null}. */
    record Value(Object value) {}

    Value variable(String name) {
        java.util.List<Class<?>> wrappers = new java.util.ArrayList<>(classes.values());
        for (int i = wrappers.size() - 1; i >= 0; i--) {
            Class<?> wrapper = wrappers.get(i);
            if (!WRAPPER.matcher(wrapper.getName()).matches()) {
                continue;
            }
            try {
                java.lang.reflect.Field field = wrapper.getField(name);
                if (java.lang.reflect.Modifier.isStatic(field.getModifiers()) && field.getDeclaringClass() == wrapper) {
                    return new Value(field.get(null));
                }
            } catch (NoSuchFieldException | IllegalAccessException ex) {
                // Not this wrapper's variable.
            }
        }
        return null;
    }

    /** Forgets classes of snippets that JShell forgot; the loader keeps them until it is collected itself. */
    void forget(java.util.List<String> names) {
        names.forEach(classes::remove);
    }

    @Override
    public void classesRedefined(ClassBytecodes[] cbcs) {
        for (ClassBytecodes cbc : cbcs) {
            loader.declare(cbc.name(), cbc.bytecodes());
        }
    }

    @Override
    public void addToClasspath(String path) throws InternalException {
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            try {
                loader.addURL(Path.of(entry).toAbsolutePath().toUri().toURL());
            } catch (MalformedURLException | RuntimeException ex) {
                throw new InternalException("Cannot add " + entry + " to the classpath: " + ex.getMessage());
            }
        }
    }

    @Override
    public Class<?> findClass(String name) throws ClassNotFoundException {
        Class<?> type = classes.get(name);
        if (type == null) {
            throw new ClassNotFoundException(name + " was not loaded by a cell");
        }
        return type;
    }

    private static final class SnippetClassLoader extends URLClassLoader {

        static {
            registerAsParallelCapable();
        }

        private final Map<String, byte[]> declared = new ConcurrentHashMap<>();

        SnippetClassLoader(ClassLoader parent) {
            super("drydock-cells", new URL[0], parent);
        }

        void declare(String name, byte[] bytes) {
            declared.put(name, ExitGuard.rewrite(bytes));
        }

        /** Cells' classes, then libraries on the added classpath, both with exit calls guarded ({@link ExitGuard}). */
        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            // Taken, not kept: the loader holds the class from now on, and thousands of cells' bytes would add up.
            byte[] bytes = declared.remove(name);
            if (bytes != null) {
                return defineClass(name, bytes, 0, bytes.length);
            }
            URL resource = findResource(name.replace('.', '/') + ".class");
            if (resource == null) {
                throw new ClassNotFoundException(name);
            }
            try (InputStream in = resource.openStream()) {
                byte[] library = ExitGuard.rewrite(in.readAllBytes());
                definePackageOf(name);
                return defineClass(name, library, 0, library.length, source(resource));
            } catch (IOException ex) {
                throw new ClassNotFoundException(name + ": cannot read " + resource, ex);
            }
        }

        private void definePackageOf(String className) {
            int dot = className.lastIndexOf('.');
            if (dot > 0 && getDefinedPackage(className.substring(0, dot)) == null) {
                try {
                    definePackage(className.substring(0, dot), null, null, null, null, null, null, null);
                } catch (IllegalArgumentException raced) {
                    // Another thread defined it first.
                }
            }
        }

        /** The jar or folder a library class came from, so its protection domain names it. */
        private static java.security.CodeSource source(URL resource) {
            try {
                URL location = resource;
                if ("jar".equals(resource.getProtocol())) {
                    String spec = resource.getFile();
                    location = new URL(spec.substring(0, spec.indexOf("!/")));
                }
                return new java.security.CodeSource(location, (java.security.cert.Certificate[]) null);
            } catch (MalformedURLException | RuntimeException ex) {
                return null;
            }
        }

        @Override
        protected void addURL(URL url) {
            super.addURL(url);
        }
    }
}
