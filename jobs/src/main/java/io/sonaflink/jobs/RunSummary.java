package io.sonaflink.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** A short human-readable summary of a run, read back from its JSON-lines outputs. */
public final class RunSummary {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RunSummary() {}

    public static String of(Path out, long trajectories, long signals, double seconds) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "sona-flink run: %d trajectories and %d signals in %.1f s (%.0f events/s)%n",
                trajectories, signals, seconds, (trajectories + signals) / Math.max(seconds, 1e-9)));

        List<JsonNode> dead = read(out, "dead-letters");
        Map<String, Integer> reasons = new TreeMap<>();
        for (JsonNode d : dead) {
            String reason = d.get("reason").asText();
            int colon = reason.indexOf(':');
            reasons.merge(colon > 0 ? reason.substring(0, colon) : reason, 1, Integer::sum);
        }
        s.append(String.format(Locale.ROOT, "dead letters: %d%s%n", dead.size(), dead.isEmpty() ? "" : " " + reasons));

        Map<String, Integer> decisions = new TreeMap<>();
        for (JsonNode d : read(out, "gate-decisions")) {
            decisions.merge(d.get("decision").asText(), 1, Integer::sum);
        }
        s.append("gate decisions: ").append(decisions).append(System.lineSeparator());

        Map<String, KeyStats> keys = new TreeMap<>();
        for (JsonNode u : read(out, "adapter-updates")) {
            KeyStats k = keys.computeIfAbsent(key(u), x -> new KeyStats());
            long version = u.get("version").asLong();
            if (u.get("kind").asText().equals("micro")) {
                k.microVersion = Math.max(k.microVersion, version);
                k.microUpdates++;
            } else if (version >= k.baseVersion) {
                k.baseVersion = version;
                k.lossBefore = u.get("metrics").path("lossBefore").asDouble(Double.NaN);
                k.lossAfter = u.get("metrics").path("lossAfter").asDouble(Double.NaN);
            }
        }
        for (JsonNode m : read(out, "skill-maps")) {
            KeyStats k = keys.computeIfAbsent(key(m), x -> new KeyStats());
            k.patterns = m.get("patterns").asInt();
            k.confidence = m.get("confidence").asDouble();
        }
        s.append(String.format(Locale.ROOT, "%-32s %8s %8s %9s %10s %24s%n",
                "key", "micro v", "base v", "patterns", "confidence", "base loss before->after"));
        keys.forEach((key, k) -> s.append(String.format(Locale.ROOT, "%-32s %8d %8d %9d %10.3f %11.4f -> %-10.4f%n",
                key, k.microVersion, k.baseVersion, k.patterns, k.confidence, k.lossBefore, k.lossAfter)));
        s.append("outputs: ").append(out.toAbsolutePath()).append(System.lineSeparator());
        return s.toString();
    }

    private static String key(JsonNode event) {
        JsonNode k = event.get("key");
        return k.get("tenant").asText() + "/" + k.get("persona").asText() + "/" + k.get("domain").asText();
    }

    /** Every line of every {@code <name>-*.jsonl} file in {@code dir}. */
    static List<JsonNode> read(Path dir, String name) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches(name + "-\\d+\\.jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (!line.isBlank()) {
                        nodes.add(JSON.readTree(line));
                    }
                }
            }
        }
        return nodes;
    }

    private static final class KeyStats {
        long microVersion;
        long microUpdates;
        long baseVersion;
        double lossBefore = Double.NaN;
        double lossAfter = Double.NaN;
        int patterns;
        double confidence;
    }
}
