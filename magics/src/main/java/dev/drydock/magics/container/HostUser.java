package dev.drydock.magics.container;

import com.sun.security.auth.module.UnixSystem;

/**
 * The user the kernel runs as. Containers run as this uid:gid unless {@code --user} says otherwise, so
 * what they write into bind-mounted folders belongs to the person, not to root (the question Jupyter
 * Docker Stacks users keep asking).
 */
public record HostUser(long uid, long gid) {

    public static HostUser current() {
        UnixSystem unix = new UnixSystem();
        return new HostUser(unix.getUid(), unix.getGid());
    }

    /**
     * The {@code User} of a container: {@code uid:gid}, root included. An image's own non-root user
     * cannot write into folders a root kernel mounts, and the job of the default is exactly that the
     * container writes as the person who runs the notebook; {@code --user} chooses otherwise.
     */
    public String containerUser() {
        return uid + ":" + gid;
    }
}
