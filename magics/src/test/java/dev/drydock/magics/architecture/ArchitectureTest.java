package dev.drydock.magics.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * The shape of {@code magics} that docs/ARCHITECTURE.md draws, checked on every build: layers that only
 * point down, no cycle between packages, commands only at the top, nothing of Jupyter or the kernel.
 */
@AnalyzeClasses(packages = "dev.drydock.magics", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    static final String API = "dev.drydock.magics.api..";
    static final String[] FAMILIES = {"dev.drydock.magics.commands..", "dev.drydock.magics.container..",
        "dev.drydock.magics.docker..", "dev.drydock.magics.env..", "dev.drydock.magics.aml..", "dev.drydock.magics.maven.."};
    static final String[] SERVICES = {"dev.drydock.magics.engine..", "dev.drydock.magics.registry.."};
    static final String[] CORE = {"dev.drydock.magics", "dev.drydock.magics.files..", "dev.drydock.magics.process..",
        "dev.drydock.magics.render.."};

    @ArchTest
    static final ArchRule layersPointDown = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("api").definedBy(API)
            .layer("families").definedBy(FAMILIES)
            .layer("services").definedBy(SERVICES)
            .layer("core").definedBy(CORE)
            .whereLayer("api").mayNotBeAccessedByAnyLayer()
            .whereLayer("families").mayOnlyBeAccessedByLayers("api")
            .whereLayer("services").mayOnlyBeAccessedByLayers("api", "families")
            .because("commands parse, call a service and render; services and utilities never reach back up");

    @ArchTest
    static final ArchRule everyPackageHasALayer = classes().should().resideInAnyPackage(all())
            .because("a new package must be placed in a layer here and in docs/ARCHITECTURE.md, or the layer "
                    + "rule above would not look at it");

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.drydock.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule noJupyterTypes = noClasses().should().dependOnClassesThat()
            .resideInAnyPackage("dev.drydock.kernel..", "org.zeromq..", "zmq..", "jdk.jshell..")
            .because("magics is a plain library behind the Notebook port; the kernel speaks Jupyter");

    private static String[] all() {
        List<String> packages = new ArrayList<>(List.of(API));
        packages.addAll(List.of(FAMILIES));
        packages.addAll(List.of(SERVICES));
        packages.addAll(List.of(CORE));
        return packages.toArray(String[]::new);
    }

    /** A picocli command, or a class nested in one (its lambdas, its records). */
    static final DescribedPredicate<JavaClass> COMMAND = DescribedPredicate.describe("are picocli commands",
            ArchitectureTest::isCommand);
    static final DescribedPredicate<JavaClass> NOT_COMMAND = DescribedPredicate.describe("are not picocli commands",
            type -> !isCommand(type));

    @ArchTest
    static final ArchRule onlyCommandsUseCommands = noClasses()
            .that(NOT_COMMAND).and().resideOutsideOfPackage(API)
            .should().dependOnClassesThat(COMMAND)
            .because("a service that calls a command drags parsing and rendering into its callers "
                    + "(api.MagicFamilies, the composition root, is the one place that names them all)");

    private static boolean isCommand(JavaClass type) {
        for (JavaClass c = type; c != null; c = c.getEnclosingClass().orElse(null)) {
            if (c.isAnnotatedWith(Command.class)) {
                return true;
            }
        }
        return false;
    }
}
