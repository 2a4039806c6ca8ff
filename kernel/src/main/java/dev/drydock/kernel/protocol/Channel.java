package dev.drydock.kernel.protocol;

/** The kernel's sockets that carry messages (the heartbeat only echoes bytes). */
public enum Channel {
    SHELL,
    CONTROL,
    STDIN,
    IOPUB
}
