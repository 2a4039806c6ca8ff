package dev.drydock.magics.render;

/**
 * What a long operation reports while it runs (a pull's layers, a build's step): its whole state as text
 * each time. The service reports; the receiver decides how often a person sees it ({@link LiveDisplay}).
 */
public interface Progress {

    /** The state changed; the receiver may skip showing it when it showed one a moment ago. */
    void update(String text);

    /** A state that must be seen: the first, a new step, the end. */
    void show(String text);
}
