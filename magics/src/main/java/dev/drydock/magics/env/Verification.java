package dev.drydock.magics.env;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Seed 002's question, "does the version inside match the spec?", answered per pinned package. */
public final class Verification {

    /** One pinned package: what the spec asks for and what the image has ({@code null}: not installed). */
    public record Row(Pin pin, String found) {
        public boolean ok() {
            return pin.satisfiedBy(found);
        }

        List<String> cells() {
            return List.of(pin.manager().label(), pin.name(), pin.constraint().isEmpty() ? "any" : pin.constraint(),
                    found == null ? "missing" : found, ok() ? "ok" : found == null ? "MISSING" : "MISMATCH");
        }
    }

    public static final List<String> HEADERS = List.of("manager", "package", "spec", "found", "status");

    private Verification() {}

    public static List<Row> check(List<Pin> pins, Map<Pin.Manager, Map<String, String>> packages) {
        List<Row> rows = new ArrayList<>();
        for (Pin pin : pins) {
            rows.add(new Row(pin, packages.getOrDefault(pin.manager(), Map.of()).get(pin.name())));
        }
        return rows;
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
