package dev.drydock.magics.env;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drydock.magics.MagicException;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether installed versions meet their pins, decided by the image's own Python: pip pins by
 * {@code packaging} (or pip's vendored copy), the library pip itself decides with, so PEP 440's local labels,
 * epochs, pre/post/dev releases, {@code ~=} and wildcards mean there what they mean to pip; conda pins by
 * conda's own {@code VersionSpec} where the image has conda's Python package, else by {@code packaging} after
 * conda's {@code =1.2} ("1.2 or 1.2.*") is written as {@code ==1.2.*}. Apt pins are exact versions, as
 * {@code apt-get install name=version} takes them, so they need no Python.
 */
final class VersionCheck {

    /** One question: does {@code found} meet {@code constraint} by {@code manager}'s rules. */
    record Question(Pin.Manager manager, String constraint, String found) {}

    /** The answers, in the questions' order, and the library that gave them. */
    record Answers(List<Boolean> ok, List<String> notes, String decidedBy) {}

    /** Runs {@code script} inside the image and returns its standard output. */
    interface Runner {
        String run(String script) throws MagicException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the questions as JSON from argv; prints one JSON object after a marker line. */
    static final String PYTHON = """
            import json, sys
            try:
                import packaging
                from packaging.specifiers import SpecifierSet
                from packaging.version import Version
                by = "packaging " + getattr(packaging, "__version__", "?")
            except ImportError:
                from pip._vendor import packaging
                from pip._vendor.packaging.specifiers import SpecifierSet
                from pip._vendor.packaging.version import Version
                by = "pip's vendored packaging " + getattr(packaging, "__version__", "?")
            try:
                from conda.models.version import VersionSpec
            except Exception:
                VersionSpec = None
            def conda_parts(spec, pep440):
                out = []
                for part in spec.split(","):
                    part = part.strip()
                    if part.startswith("=") and not part.startswith("=="):
                        part = part[1:] if part.endswith(".*") else part[1:] + ".*"
                        part = ("==" + part) if pep440 else part
                    elif pep440 and part and part[0].isalnum():
                        part = "==" + part
                    out.append(part)
                return ",".join(out)
            answers = []
            for manager, spec, found in json.loads(sys.argv[1]):
                try:
                    if manager == "conda" and VersionSpec is not None:
                        ok = VersionSpec(conda_parts(spec, False)).match(found)
                    else:
                        if manager == "conda":
                            spec = conda_parts(spec, True)
                        ok = SpecifierSet(spec).contains(Version(found), prereleases=True)
                    answers.append([bool(ok), ""])
                except Exception as e:
                    answers.append([False, type(e).__name__ + ": " + str(e)])
            print("@@versions")
            print(json.dumps({"by": by + (" and conda" if VersionSpec is not None else ""), "answers": answers}))
            """;

    private VersionCheck() {}

    /** Answers every question; only pip and conda ones reach the image, and only when there are some. */
    static Answers decide(List<Question> questions, Runner runner) throws MagicException {
        List<Boolean> ok = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<Question> asked = new ArrayList<>();
        for (Question q : questions) {
            boolean local = q.found() == null || q.constraint() == null || q.constraint().isBlank()
                    || q.manager() == Pin.Manager.APT;
            ok.add(local ? q.found() != null && (q.manager() != Pin.Manager.APT || q.constraint() == null
                    || q.constraint().isBlank() || q.constraint().substring(q.constraint().startsWith("=") ? 1 : 0)
                    .equals(q.found())) : null);
            notes.add("");
            if (!local) {
                asked.add(q);
            }
        }
        if (asked.isEmpty()) {
            return new Answers(ok, notes, "no Python needed");
        }
        JsonNode reply = ask(asked, runner);
        JsonNode answers = reply.path("answers");
        int next = 0;
        for (int i = 0; i < ok.size(); i++) {
            if (ok.get(i) == null) {
                JsonNode answer = answers.path(next++);
                ok.set(i, answer.path(0).asBoolean(false));
                notes.set(i, answer.path(1).asText(""));
            }
        }
        return new Answers(ok, notes, reply.path("by").asText("?"));
    }

    private static JsonNode ask(List<Question> asked, Runner runner) throws MagicException {
        List<List<String>> payload = asked.stream()
                .map(q -> List.of(q.manager().label(), q.constraint().strip(), q.found())).toList();
        String json;
        try {
            json = JSON.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A list of strings is always JSON", e);
        }
        String script = "PY=$(command -v python3 || command -v python)\n"
                + "if [ -z \"$PY\" ]; then echo 'no python3 or python on the PATH' >&2; exit 3; fi\n"
                + "exec \"$PY\" -c " + quote(PYTHON) + " " + quote(json) + "\n";
        String out = runner.run(script);
        int marker = out.lastIndexOf("@@versions");
        if (marker < 0) {
            throw MagicException.failed("The version check inside the image printed no answer: " + out.strip());
        }
        try {
            return JSON.readTree(out.substring(marker + "@@versions".length()).strip());
        } catch (JsonProcessingException e) {
            throw MagicException.failed("The version check inside the image gave an unreadable answer: "
                    + e.getOriginalMessage());
        }
    }

    /** A POSIX shell single-quoted word. */
    static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
