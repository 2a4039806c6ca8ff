package dev.drydock.magics.api;

import java.util.List;
import dev.drydock.magics.commands.DotenvMagic;
import dev.drydock.magics.commands.LsMagic;
import dev.drydock.magics.MagicCommand;
import dev.drydock.magics.commands.ScriptMagics;
import dev.drydock.magics.commands.SetenvMagic;
import dev.drydock.magics.commands.WriteFileMagic;

/**
 * The one place that lists the magic families. A later family ({@code %container}, {@code %env},
 * {@code %aml}) is added here: a {@code @Command} class extending {@link MagicCommand} (line magic) or
 * {@link CellMagicCommand} (cell magic), whose constructor takes what it needs from the services
 * {@code Magics} knows ({@code Session}, {@code Notebook}, {@code Magics}, and the ones passed to it).
 */
public final class MagicFamilies {

    public static final List<Class<? extends MagicCommand>> ALL = List.of(
            WriteFileMagic.class,
            DotenvMagic.class,
            SetenvMagic.class,
            ScriptMagics.Bash.class,
            ScriptMagics.Sh.class,
            LsMagic.class,
            dev.drydock.magics.container.ContainerMagic.class,
            dev.drydock.magics.docker.DockerMagic.class,
            dev.drydock.magics.env.EnvMagic.class,
            dev.drydock.magics.aml.AmlMagic.class,
            dev.drydock.magics.maven.MavenMagic.class,
            dev.drydock.magics.maven.ClasspathMagic.class);

    private MagicFamilies() {}
}
