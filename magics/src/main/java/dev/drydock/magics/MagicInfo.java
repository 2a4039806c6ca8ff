package dev.drydock.magics;

/** What {@code %lsmagic} lists: the name, whether it is a line or cell magic, and one line about it. */
public record MagicInfo(String name, boolean cellMagic, String description) {

    /** The name as typed: {@code %name} or {@code %%name}. */
    public String typed() {
        return (cellMagic ? "%%" : "%") + name;
    }
}
