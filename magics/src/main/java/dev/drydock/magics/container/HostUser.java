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
     * The {@code User} of a container: {@code uid:gid}, except for root, who can write anywhere anyway
     * and should not turn an image's non-root user into root.
     */
    public String containerUser() {
        return uid == 0 ? null : uid + ":" + gid;
    }
}
