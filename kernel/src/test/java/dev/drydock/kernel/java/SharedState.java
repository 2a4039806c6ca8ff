package dev.drydock.kernel.java;

/** Static state a test sets and a cell reads (and the other way round): proof of one shared class. */
public final class SharedState {

    public static volatile int counter;
    public static volatile Object handedOver;
    public static volatile boolean started;

    private SharedState() {}
}
