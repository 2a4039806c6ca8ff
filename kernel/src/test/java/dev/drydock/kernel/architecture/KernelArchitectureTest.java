package dev.drydock.kernel.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The kernel's side of docs/ARCHITECTURE.md: its packages point one way (entry → runtime → java, cells,
 * protocol), and it reaches the magics only through their API ({@code Magics}), core ports ({@code Notebook},
 * {@code Session}, ...) and utilities ({@code AtomicFiles}), never a family or a service.
 */
@AnalyzeClasses(packages = "dev.drydock", importOptions = ImportOption.DoNotIncludeTests.class)
class KernelArchitectureTest {

    @ArchTest
    static final ArchRule layersPointDown = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("entry").definedBy("dev.drydock.kernel", "dev.drydock.kernel.install..")
            .layer("runtime").definedBy("dev.drydock.kernel.runtime..")
            .layer("engines").definedBy("dev.drydock.kernel.java..", "dev.drydock.kernel.cells..",
                    "dev.drydock.kernel.protocol..")
            .layer("magics api").definedBy("dev.drydock.magics.api..")
            .layer("magics inside").definedBy("dev.drydock.magics.commands..", "dev.drydock.magics.container..",
                    "dev.drydock.magics.docker..", "dev.drydock.magics.env..", "dev.drydock.magics.aml..",
                    "dev.drydock.magics.engine..", "dev.drydock.magics.registry..")
            .layer("magics core").definedBy("dev.drydock.magics", "dev.drydock.magics.files..",
                    "dev.drydock.magics.process..", "dev.drydock.magics.render..")
            .whereLayer("entry").mayNotBeAccessedByAnyLayer()
            .whereLayer("runtime").mayOnlyBeAccessedByLayers("entry")
            .whereLayer("engines").mayOnlyBeAccessedByLayers("entry", "runtime")
            .whereLayer("magics api").mayOnlyBeAccessedByLayers("entry", "runtime")
            .whereLayer("magics inside").mayOnlyBeAccessedByLayers("magics api");

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.drydock.(**)").should().beFreeOfCycles();
}
