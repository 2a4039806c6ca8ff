package dev.drydock.kernel.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.Tag;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Integration tests are tagged, as docs/ARCHITECTURE.md says: every {@code *IT} carries
 * {@code @Tag("integration")} (and {@code @Tag("docker")} when it needs the engine), so
 * {@code -Dgroups=docker} runs the engine's tests alone; a unit test never carries those tags.
 */
@AnalyzeClasses(packages = "dev.drydock.kernel", importOptions = ImportOption.OnlyIncludeTests.class)
class TestConventionsTest {

    @ArchTest
    static final ArchRule integrationTestsAreTagged = classes().that().haveSimpleNameEndingWith("IT")
            .and().areTopLevelClasses().should(beTagged(true));

    @ArchTest
    static final ArchRule unitTestsAreNot = classes().that().haveSimpleNameEndingWith("Test")
            .and().areTopLevelClasses().should(beTagged(false));

    private static ArchCondition<JavaClass> beTagged(boolean integration) {
        return new ArchCondition<>(integration ? "be tagged integration" : "not be tagged integration or docker") {
            @Override
            public void check(JavaClass type, ConditionEvents events) {
                var tags = AnnotationSupport.findRepeatableAnnotations(type.reflect(), Tag.class).stream()
                        .map(Tag::value).toList();
                boolean ok = integration ? tags.contains("integration")
                        : !tags.contains("integration") && !tags.contains("docker");
                events.add(new SimpleConditionEvent(type, ok, type.getName() + " has tags " + tags));
            }
        };
    }
}
