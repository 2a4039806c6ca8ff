package dev.drydock.magics;

import java.util.List;

/** The magics a kernel offers, for {@code %lsmagic}: the registry implements it, so no family reaches up to it. */
public interface MagicCatalog {

    /** Every magic, sorted by name (a line magic before a cell magic of the same name). */
    List<MagicInfo> list();
}
