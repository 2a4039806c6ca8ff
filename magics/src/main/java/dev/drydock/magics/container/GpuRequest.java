package dev.drydock.magics.container;

import com.github.dockerjava.api.model.DeviceRequest;
import dev.drydock.magics.MagicException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The value of {@code --gpus}, read as the docker CLI reads it (cli/opts/gpus.go): a CSV line of
 * {@code all}, a count, {@code count=}, {@code device=}, {@code driver=}, {@code capabilities=} and
 * {@code options=}; the driver stays empty so the engine picks the one that offers the {@code gpu}
 * capability, which is the NVIDIA Container Toolkit's.
 */
public final class GpuRequest {

    /** The start of the engine's answer when no runtime offers the GPU capability. */
    static final String NO_DRIVER = "could not select device driver";

    private GpuRequest() {}

    public static DeviceRequest parse(String value) throws MagicException {
        DeviceRequest request = new DeviceRequest().withDriver("");
        Set<String> seen = new HashSet<>();
        Integer count = null;
        List<String> capabilities = null;
        Map<String, String> options = new HashMap<>();
        for (String field : csvFields(value)) {
            int eq = field.indexOf('=');
            String key = eq < 0 ? field : field.substring(0, eq);
            String val = eq < 0 ? null : field.substring(eq + 1);
            if (!seen.add(key)) {
                throw usage(value, "gpu request key '" + key + "' can be specified only once");
            }
            if (val == null) {
                seen.add("count");
                count = count(key, value);
                continue;
            }
            switch (key) {
                case "driver" -> request.withDriver(val);
                case "count" -> count = count(val, value);
                case "device" -> request.withDeviceIds(List.of(val.split(",")));
                case "capabilities" -> {
                    capabilities = new ArrayList<>(List.of(val.split(",")));
                    capabilities.add("gpu");
                }
                case "options" -> {
                    for (String option : csvFields(val)) {
                        int optionEq = option.indexOf('=');
                        if (optionEq < 0) {
                            throw usage(value, "option '" + option + "' is not KEY=VALUE");
                        }
                        options.put(option.substring(0, optionEq), option.substring(optionEq + 1));
                    }
                }
                default -> throw usage(value, "unexpected key '" + key + "' in '" + field + "'");
            }
        }
        if (!seen.contains("count") && request.getDeviceIds() == null) {
            count = 1;
        }
        return request.withCount(count == null ? 0 : count)
                .withCapabilities(List.of(capabilities == null ? List.of("gpu") : List.copyOf(capabilities)))
                .withOptions(options);
    }

    /** Says what the engine's refusal means and how to check the host, for a person who asked for GPUs. */
    static String explain(String engineMessage, String image) {
        return "The Docker engine cannot give this container a GPU: it answered \"" + engineMessage.strip()
                + "\". GPUs reach containers through the NVIDIA Container Toolkit, which must be installed on the "
                + "engine's host (with the NVIDIA driver) and registered with Docker (`sudo nvidia-ctk runtime "
                + "configure --runtime=docker`, then restart dockerd). Check it with `%container run --rm --gpus all "
                + image + " nvidia-smi`, which lists the GPUs when it works; `docker info` then names the nvidia "
                + "runtime.";
    }

    private static int count(String text, String value) throws MagicException {
        if (text.equals("all")) {
            return -1;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw usage(value, "count must be 'all' or a number, not '" + text + "'");
        }
    }

    private static MagicException usage(String value, String why) {
        return MagicException.usage("Bad --gpus " + value + ": " + why + ". Examples: --gpus all, --gpus 2, "
                + "--gpus device=0, --gpus '\"device=0,1\"'.");
    }

    /** One CSV record as Go's encoding/csv reads it: commas split, double quotes group, "" is a quote. */
    static List<String> csvFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
