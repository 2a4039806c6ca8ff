package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Seed 002's question, "does the version inside match the spec?", answered per pinned package. */
public final class Verification {

    /**
     * One pinned package: what the spec asks for, what the image has ({@code null}: not installed), whether
     * that meets the pin, and why not where the check itself could not read a version.
     */
    public record Row(Pin pin, String found, boolean ok, String note) {
        List<String> cells() {
            return List.of(pin.manager().label(), pin.name(), pin.constraint().isEmpty() ? "any" : pin.constraint(),
                    found == null ? "missing" : found, ok ? "ok" : found == null ? "MISSING"
                            : note.isEmpty() ? "MISMATCH" : "MISMATCH (" + note + ")");
        }
    }

    /** The rows and the library inside the image that decided them. */
    public record Result(List<Row> rows, String decidedBy) {}

    public static final List<String> HEADERS = List.of("manager", "package", "spec", "found", "status");

    private Verification() {}

    /** Checks each pin against the packages found, the versions compared inside the image by {@code runner}. */
    static Result check(List<Pin> pins, Map<Pin.Manager, Map<String, String>> packages, VersionCheck.Runner runner)
            throws MagicException {
        List<VersionCheck.Question> questions = new ArrayList<>();
        for (Pin pin : pins) {
            questions.add(new VersionCheck.Question(pin.manager(), pin.constraint(),
                    packages.getOrDefault(pin.manager(), Map.of()).get(pin.name())));
        }
        VersionCheck.Answers answers = VersionCheck.decide(questions, runner);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < pins.size(); i++) {
            rows.add(new Row(pins.get(i), questions.get(i).found(), answers.ok().get(i), answers.notes().get(i)));
        }
        return new Result(rows, answers.decidedBy());
    }

    public static List<List<String>> cells(List<Row> rows) {
        return rows.stream().map(Row::cells).toList();
    }

    /** The packages whose versions differ between two images, or that only one has. */
    public static List<List<String>> diff(Map<Pin.Manager, Map<String, String>> a, Map<Pin.Manager, Map<String, String>> b) {
        List<List<String>> rows = new ArrayList<>();
        for (Pin.Manager manager : Pin.Manager.values()) {
            Map<String, String> left = a.getOrDefault(manager, Map.of());
            Map<String, String> right = b.getOrDefault(manager, Map.of());
            TreeSet<String> names = new TreeSet<>(left.keySet());
            names.addAll(right.keySet());
            for (String name : names) {
                String l = left.get(name);
                String r = right.get(name);
                if (l == null || !l.equals(r)) {
                    rows.add(List.of(manager.label(), name, l == null ? "—" : l, r == null ? "—" : r));
                }
            }
        }
        return rows;
    }
}
