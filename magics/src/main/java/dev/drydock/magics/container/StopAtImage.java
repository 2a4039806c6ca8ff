package dev.drydock.magics.container;

import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Ends option parsing at the first positional (the image, the container), as the docker CLI does: what
 * follows is the container's command, whose own options ({@code ls -l}) picocli must not read.
 */
public final class StopAtImage implements IModelTransformer {

    @Override
    public CommandSpec transform(CommandSpec spec) {
        spec.parser().stopAtPositional(true);
        return spec;
    }
}
