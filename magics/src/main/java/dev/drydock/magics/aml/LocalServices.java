package dev.drydock.magics.aml;

import dev.drydock.magics.Notebook;
import dev.drydock.magics.Session;
import dev.drydock.magics.container.HostUser;
import dev.drydock.magics.engine.Docker;
import dev.drydock.magics.env.ImageBuilder;
import dev.drydock.magics.registry.RegistryCredentials;

/**
 * What local jobs and local endpoints both work with: the session and cell they serve, the kernel's engine, the
 * builder of their environments, registry logins for base images, and the uid:gid their containers run as.
 */
record LocalServices(Session session, Notebook notebook, Docker docker, ImageBuilder builder,
        RegistryCredentials credentials, HostUser user) {}
