package io.sonaflink.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The few calls the local tools make to a running job's REST API: vertex metrics and checkpoint statistics. */
final class JobRest {
    /** Operator names as the job graph gives them, which the REST API's metric ids carry. */
    static final String JOIN = "feedback-join";
    static final String GATE = "adapter-gate";
    static final String INFERENCE = "inference";
    static final String BACKGROUND = "background-loop";
    static final String SOURCE_TRAJECTORIES = "kafka-trajectories";
    static final String SOURCE_SIGNALS = "kafka-signals";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String job;

    JobRest(String base, String job) {
        this.base = base;
        this.job = job;
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.missingNode();
    }

    private String vertex(String nameContains) throws Exception {
        for (JsonNode v : get("/jobs/" + job).path("vertices")) {
            if (v.path("name").asText().contains(nameContains)) {
                return v.path("id").asText();
            }
        }
        return null;
    }

    /** Per vertex: the mean over subtasks of busy and back-pressured ms per second, now. */
    Map<String, double[]> load() throws Exception {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (JsonNode v : get("/jobs/" + job).path("vertices")) {
            JsonNode m = get("/jobs/" + job + "/vertices/" + v.path("id").asText()
                    + "/subtasks/metrics?get=busyTimeMsPerSecond,backPressuredTimeMsPerSecond&agg=avg");
            double busy = Double.NaN;
            double pressured = Double.NaN;
            for (JsonNode metric : m) {
                double value = metric.path("avg").asDouble(Double.NaN);
                if (metric.path("id").asText().equals("busyTimeMsPerSecond")) {
                    busy = value;
                } else {
                    pressured = value;
                }
            }
            out.put(v.path("name").asText(), new double[] {busy, pressured});
        }
        return out;
    }

    /** A numeric metric of {@code operator} per subtask index. */
    Map<String, Double> perSubtask(String operator, String metric) throws Exception {
        Map<String, Double> out = new LinkedHashMap<>();
        String id = vertex(operator);
        if (id == null) {
            return out;
        }
        String path = "/jobs/" + job + "/vertices/" + id + "/metrics";
        List<String> ids = new ArrayList<>();
        for (JsonNode m : get(path)) {
            if (m.path("id").asText().endsWith("." + operator + "." + metric)) {
                ids.add(m.path("id").asText());
            }
        }
        if (!ids.isEmpty()) {
            for (JsonNode m : get(path + "?get=" + String.join(",", ids))) {
                String name = m.path("id").asText();
                out.put(name.substring(0, name.indexOf('.')), m.path("value").asDouble(0));
            }
        }
        return out;
    }

    /** A counter of {@code operator}, summed over its subtasks (0 before any subtask reports it). */
    long sum(String operator, String metric) throws Exception {
        return (long) perSubtask(operator, metric).values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** Records the named source has emitted, summed over its subtasks. */
    long sourceRecords(String source) throws Exception {
        String id = vertex(source);
        if (id == null) {
            return 0;
        }
        JsonNode m = get("/jobs/" + job + "/vertices/" + id + "/subtasks/metrics?get=numRecordsOut&agg=sum");
        for (JsonNode metric : m) {
            return (long) metric.path("sum").asDouble();
        }
        return 0;
    }

    /**
     * The median and p99 of an operator's latency histograms ({@code <name>P50}, {@code
     * <name>P99}), the largest over its subtasks (a subtask without samples reports NaN, which
     * the REST API's own aggregation would return as the max).
     */
    Map<String, Object> latencies(String operator, String... histograms) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        String id = vertex(operator);
        if (id == null) {
            return out;
        }
        String[][] wanted = new String[2 * histograms.length][];
        for (int h = 0; h < histograms.length; h++) {
            wanted[2 * h] = new String[] {histograms[h] + "_median", histograms[h] + "P50"};
            wanted[2 * h + 1] = new String[] {histograms[h] + "_p99", histograms[h] + "P99"};
        }
        String path = "/jobs/" + job + "/vertices/" + id + "/metrics";
        List<String> ids = new ArrayList<>();
        for (JsonNode metric : get(path)) {
            String name = metric.path("id").asText();
            for (String[] w : wanted) {
                if (name.endsWith("." + operator + "." + w[0])) {
                    ids.add(name);
                }
            }
        }
        if (ids.isEmpty()) {
            return out;
        }
        for (JsonNode metric : get(path + "?get=" + String.join(",", ids))) {
            double value = metric.path("value").asDouble(Double.NaN);
            for (String[] w : wanted) {
                if (metric.path("id").asText().endsWith("." + w[0]) && Double.isFinite(value)) {
                    out.merge(w[1], value, (x, y) -> Math.max((Double) x, (Double) y));
                }
            }
        }
        return out;
    }

    Map<String, Object> checkpoints() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        JsonNode c = get("/jobs/" + job + "/checkpoints");
        JsonNode summary = c.path("summary");
        out.put("checkpointsCompleted", c.path("counts").path("completed").asLong());
        out.put("checkpointDurationMsP50", summary.path("end_to_end_duration").path("p50").asDouble(Double.NaN));
        out.put("checkpointDurationMsMax", summary.path("end_to_end_duration").path("max").asDouble(Double.NaN));
        out.put("checkpointedBytesP50", summary.path("checkpointed_size").path("p50").asDouble(Double.NaN));
        out.put("checkpointFullStateBytesMax", summary.path("state_size").path("max").asDouble(Double.NaN));
        out.put("checkpointStepsMs", checkpointSteps(c.path("history")));
        return out;
    }

    /**
     * Per vertex, for each completed checkpoint the REST API still lists (its history, 10 by
     * default), oldest first: the longest synchronous part and alignment of any subtask, in ms. The
     * synchronous part runs on the task thread, so it is how long that checkpoint stopped the
     * vertex's records; the last checkpoints are those of the benchmark's latency phase.
     */
    private Map<String, Map<String, List<Long>>> checkpointSteps(JsonNode history) throws Exception {
        Map<String, String> names = new LinkedHashMap<>();
        for (JsonNode v : get("/jobs/" + job).path("vertices")) {
            names.put(v.path("id").asText(), v.path("name").asText());
        }
        List<JsonNode> completed = new ArrayList<>();
        for (JsonNode checkpoint : history) {
            if (checkpoint.path("status").asText().equals("COMPLETED")) {
                completed.add(checkpoint);
            }
        }
        completed.sort(Comparator.comparingLong(checkpoint -> checkpoint.path("id").asLong()));
        Map<String, Map<String, List<Long>>> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> vertex : names.entrySet()) {
            List<Long> sync = new ArrayList<>();
            List<Long> alignment = new ArrayList<>();
            for (JsonNode checkpoint : completed) {
                long longestSync = 0;
                long longestAlignment = 0;
                for (JsonNode subtask : get("/jobs/" + job + "/checkpoints/details/" + checkpoint.path("id").asLong()
                        + "/subtasks/" + vertex.getKey()).path("subtasks")) {
                    longestSync = Math.max(longestSync, subtask.path("checkpoint").path("sync").asLong());
                    longestAlignment = Math.max(longestAlignment, subtask.path("alignment").path("duration").asLong());
                }
                sync.add(longestSync);
                alignment.add(longestAlignment);
            }
            Map<String, List<Long>> steps = new LinkedHashMap<>();
            steps.put("sync", sync);
            steps.put("alignment", alignment);
            out.put(vertex.getValue(), steps);
        }
        return out;
    }
}
