package dev.drydock.magics;

import java.nio.file.Path;
import java.util.List;

/**
 * The classpath of the notebook's Java cells, as the magics that load libraries ({@code %maven},
 * {@code %classpath add}) see it. The kernel implements it over its Java engine; a session without one
 * says so when a magic tries to add to it.
 */
@FunctionalInterface
public interface ClassPath {

    /**
     * Adds jars or class folders to what cells compile against and load from. Classes in them are usable
     * from the next Java snippet on, the rest of the same cell included.
     */
    void add(List<Path> entries) throws MagicException;

    /** Where no Java engine is bound, as in a headless run of the magics. */
    ClassPath NONE = entries -> {
        throw MagicException.failed("This notebook has no Java engine to add jars to: %maven and %classpath add"
                + " work in cells run by the Drydock kernel.");
    };
}
