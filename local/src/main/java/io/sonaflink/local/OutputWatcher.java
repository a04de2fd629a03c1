package io.sonaflink.local;

import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.serving.ServedModel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the job's output topics as a downstream consumer would (read_committed, so only what the
 * job committed on a checkpoint) and keeps what was learned so far: each key's newest adapters
 * and pattern bank, and the counts shown in the progress line. Thread-safe.
 */
final class OutputWatcher implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaConsumer<byte[], byte[]> consumer;
    /** Responses alone, as a client reads them: not held up behind the large outputs. */
    private final KafkaConsumer<byte[], byte[]> responseConsumer;
    private final OutputTopics topics;
    private final Thread thread;
    private final Thread responseThread;
    private final Properties properties;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    private final Map<String, Map<String, LoraAdapter>> adapters = new TreeMap<>();
    private final Map<String, Map<String, Long>> versions = new TreeMap<>();
    /** The base version each key's newest MicroLoRA was learned on (it is served only with it). */
    private final Map<String, Long> microBase = new TreeMap<>();
    /** EWC++ task boundaries the gate saw per key (base candidates that started a new task). */
    private final Map<String, Integer> boundaries = new TreeMap<>();
    private final Map<String, ReasoningBank> banks = new TreeMap<>();
    private final Map<String, Long> bankCycles = new HashMap<>();
    private final Map<String, Integer> gateDecisions = new TreeMap<>();
    private final Map<String, Integer> deadLetterReasons = new TreeMap<>();
    private final Map<String, java.util.SortedSet<String>> deadLetterFields = new TreeMap<>();
    private long deadLetters;
    private long records;
    private IOException failure;

    /** Names of the output topics. */
    record OutputTopics(String adapterUpdates, String patternSnapshots, String skillMaps, String deadLetters,
            String gateDecisions, String responses) {
        List<String> all() {
            return List.of(adapterUpdates, patternSnapshots, skillMaps, deadLetters, gateDecisions, responses);
        }
    }

    /** Responses to the replay's probe queries, over the last {@link #SERVED_WINDOW} of them. */
    static final int SERVED_WINDOW = 200;
    private final Map<String, List<io.sonaflink.jobs.workload.Workload.Probe>> probes;
    private final java.util.ArrayDeque<int[]> served = new java.util.ArrayDeque<>(); // {hit, best route}
    /** Milliseconds from a probe query's timestamp (when it was sent) to its response read here, the last ones. */
    static final int LATENCY_WINDOW = 2_000;
    private final java.util.ArrayDeque<Long> latencies = new java.util.ArrayDeque<>();
    /** Query sent to response written by the job (the record's CreateTime): the client's share left out. */
    private final java.util.ArrayDeque<Long> writtenLatencies = new java.util.ArrayDeque<>();
    private long responses;

    OutputWatcher(Properties client, OutputTopics topics,
            Map<String, List<io.sonaflink.jobs.workload.Workload.Probe>> probes) {
        this.probes = probes;
        Properties p = new Properties();
        p.putAll(client);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(16 << 20));
        this.properties = p;
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.responseConsumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topics = topics;
        List<TopicPartition> others = new ArrayList<>();
        List<TopicPartition> responses = new ArrayList<>();
        for (String topic : topics.all()) {
            consumer.partitionsFor(topic).forEach(i -> (topic.equals(topics.responses()) ? responses : others)
                    .add(new TopicPartition(topic, i.partition())));
        }
        partitions.addAll(others);
        partitions.addAll(responses);
        this.thread = start(consumer, others, "output-watcher");
        this.responseThread = start(responseConsumer, responses, "response-watcher");
    }

    private Thread start(KafkaConsumer<byte[], byte[]> c, List<TopicPartition> assigned, String name) {
        c.assign(assigned);
        c.seekToBeginning(assigned);
        Thread t = new Thread(() -> run(c, assigned), name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void run(KafkaConsumer<byte[], byte[]> c, List<TopicPartition> assigned) {
        try {
            while (running) {
                var records = c.poll(Duration.ofMillis(200));
                long readableAtMs = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    accept(r.topic(), JSON.readTree(r.value()), readableAtMs, r.timestamp());
                }
                for (TopicPartition tp : assigned) {
                    positions.put(tp, c.position(tp));
                }
            }
        } catch (WakeupException stopping) {
            // closed
        } catch (IOException | RuntimeException e) {
            // an output the watcher cannot read fails the run's catch-up, instead of freezing its view
            synchronized (this) {
                failure = e instanceof IOException io ? io : new IOException("reading the outputs failed", e);
            }
        }
    }

    private synchronized void accept(String topic, JsonNode event, long readableAtMs, long createdAtMs) {
        records++;
        if (topic.equals(topics.adapterUpdates())) {
            String key = key(event);
            String kind = event.get("kind").asText();
            versions.computeIfAbsent(key, k -> new TreeMap<>()).put(kind, event.get("version").asLong());
            adapters.computeIfAbsent(key, k -> new TreeMap<>()).put(kind, adapter(event));
            if (kind.equals("micro")) {
                microBase.put(key, event.path("metrics").path("servedWithBase").asLong(-1));
            }
        } else if (topic.equals(topics.patternSnapshots())) {
            String key = key(event);
            long cycle = event.get("cycle").asLong();
            if (cycle >= bankCycles.getOrDefault(key, Long.MIN_VALUE)) {
                bankCycles.put(key, cycle);
                if (event.get("patterns").isEmpty()) {
                    banks.remove(key); // a cycle that kept no pattern: the key's bank is empty
                } else {
                    banks.put(key, bank(event));
                }
            }
        } else if (topic.equals(topics.deadLetters())) {
            deadLetters++;
            String reason = event.get("reason").asText();
            String kind = reasonKind(reason);
            deadLetterReasons.merge(kind, 1, Integer::sum);
            String field = reasonField(reason);
            if (!field.isEmpty()) {
                deadLetterFields.computeIfAbsent(kind, k -> new java.util.TreeSet<>()).add(field);
            }
        } else if (topic.equals(topics.responses())) {
            responses++;
            var probe = WorkloadReplay.probeOf(event.get("id").asText(), probes);
            if (probe != null) {
                long sentAtMs = event.get("timestamp").asLong();
                latencies.addLast(readableAtMs - sentAtMs);
                writtenLatencies.addLast(createdAtMs - sentAtMs);
                if (latencies.size() > LATENCY_WINDOW) {
                    latencies.removeFirst();
                    writtenLatencies.removeFirst();
                }
                boolean hit = event.get("pattern_hit").asBoolean();
                boolean best = hit && probe.bestRoute().equals(event.get("route").asText());
                served.addLast(new int[] {hit ? 1 : 0, best ? 1 : 0});
                if (served.size() > SERVED_WINDOW) {
                    served.removeFirst();
                }
            }
        } else if (topic.equals(topics.gateDecisions())) {
            gateDecisions.merge(event.get("decision").asText(), 1, Integer::sum);
            if (event.path("metrics").path("taskBoundary").asDouble(0) > 0) {
                boundaries.merge(key(event), 1, Integer::sum);
            }
        }
    }

    /** Waits until everything committed so far (the topics' current ends) has been read. */
    void catchUp(Duration timeout) throws Exception {
        Map<TopicPartition, Long> ends;
        // the polling thread owns the main consumer; read the ends with a second one
        try (KafkaConsumer<byte[], byte[]> probe =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            ends = probe.endOffsets(partitions);
        }
        Polling.until(() -> ends.entrySet().stream().allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue()),
                timeout, Duration.ofMillis(50));
        synchronized (this) {
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** A consistent copy of what was learned so far. */
    synchronized Snapshot snapshot() {
        Map<String, Map<String, LoraAdapter>> a = new TreeMap<>();
        adapters.forEach((k, v) -> a.put(k, new TreeMap<>(v)));
        Map<String, Map<String, Long>> v = new TreeMap<>();
        versions.forEach((k, m) -> v.put(k, new TreeMap<>(m)));
        int taskBoundaries = boundaries.values().stream().mapToInt(Integer::intValue).sum();
        int hits = 0;
        int best = 0;
        for (int[] r : served) {
            hits += r[0];
            best += r[1];
        }
        return new Snapshot(a, v, new TreeMap<>(microBase), taskBoundaries, new TreeMap<>(banks), deadLetters,
                deadLetterKinds(), new TreeMap<>(gateDecisions), records, responses,
                served.isEmpty() ? Double.NaN : (double) hits / served.size(),
                hits == 0 ? Double.NaN : (double) best / hits, ResponseLatency.of(latencies),
                ResponseLatency.of(writtenLatencies));
    }

    /** Percentiles of the time from a query being sent to its response being readable or written (NaN before any). */
    record ResponseLatency(long responses, double p50Ms, double p99Ms) {
        static ResponseLatency of(java.util.Collection<Long> millis) {
            long[] sorted = millis.stream().mapToLong(Long::longValue).sorted().toArray();
            return sorted.length == 0 ? new ResponseLatency(0, Double.NaN, Double.NaN)
                    : new ResponseLatency(sorted.length, percentile(sorted, 0.5), percentile(sorted, 0.99));
        }

        /** The nearest-rank percentile. */
        static double percentile(long[] sorted, double q) {
            return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
        }
    }

    /**
     * What the outputs said up to a moment. Adapters and banks are not copied: treat them as
     * read-only. The served rates are over the last responses to probe queries (NaN before any).
     */
    record Snapshot(
            Map<String, Map<String, LoraAdapter>> adapters,
            Map<String, Map<String, Long>> versions,
            Map<String, Long> microBase,
            int taskBoundaries,
            Map<String, ReasoningBank> banks,
            long deadLetters,
            Map<String, DeadLetterKind> deadLetterReasons,
            Map<String, Integer> gateDecisions,
            long records,
            long responses,
            double servedHitRate,
            double servedRouteAccuracy,
            ResponseLatency responseLatency,
            ResponseLatency responseWritten) {

        int patterns() {
            return banks.values().stream().mapToInt(ReasoningBank::size).sum();
        }

        /** What the inference operator serves for {@code key}: its newest base, and its newest micro if learned on it. */
        ServedModel served(String key) {
            Map<String, LoraAdapter> kinds = adapters.getOrDefault(key, Map.of());
            long base = versions.getOrDefault(key, Map.of()).getOrDefault("base", 0L);
            boolean microServed = microBase.getOrDefault(key, -1L) == base;
            return new ServedModel(kinds.get("base"), microServed ? kinds.get("micro") : null);
        }

        /** The newest MicroLoRA of {@code key}, or null. */
        LoraAdapter micro(String key) {
            return adapters.getOrDefault(key, Map.of()).get("micro");
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        responseConsumer.wakeup();
        thread.join(5_000);
        responseThread.join(5_000);
        consumer.close();
        responseConsumer.close();
    }

    /** Dead letters of one kind of reason: how many, and the fields they named (indices folded). */
    record DeadLetterKind(int count, List<String> fields) {}

    private Map<String, DeadLetterKind> deadLetterKinds() {
        Map<String, DeadLetterKind> kinds = new TreeMap<>();
        deadLetterReasons.forEach((kind, count) -> kinds.put(kind,
                new DeadLetterKind(count, List.copyOf(deadLetterFields.getOrDefault(kind, new java.util.TreeSet<>())))));
        return kinds;
    }

    /** A reason's leading field path ({@code embedding[17]}, {@code metrics.latency_us}) when it names one. */
    private static final java.util.regex.Pattern FIELD_PREFIX =
            java.util.regex.Pattern.compile("^([a-z_]+(\\[\\d+\\])?(\\.[a-z_]+(\\[\\d+\\])?)*): ");

    /**
     * What went wrong, without where or with which values, so that alike reasons count together:
     * {@code embedding[0]: NaN is not allowed} and {@code target[3]: NaN is not allowed} are one
     * kind; numbers become N, quoted values and parenthesised details are dropped, and a JSON
     * parser's message is just {@code malformed JSON}.
     */
    static String reasonKind(String reason) {
        for (String whole : List.of("malformed JSON", "framed record")) {
            if (reason.startsWith(whole)) {
                return whole;
            }
        }
        java.util.regex.Matcher field = FIELD_PREFIX.matcher(reason);
        String what = field.find() ? reason.substring(field.end()) : reason;
        return what.replaceAll("'[^']*'", "'…'")
                .replaceAll("\\s*\\([^)]*\\)", "")
                .replaceAll("-?\\b\\d+(\\.\\d+)?([eE][-+]?\\d+)?\\b", "N")
                .trim();
    }

    /** The field a reason names, its indices folded ({@code embedding[…]}); empty when it names none. */
    static String reasonField(String reason) {
        java.util.regex.Matcher field = FIELD_PREFIX.matcher(reason);
        return field.find() ? field.group(1).replaceAll("\\[\\d+\\]", "[…]") : "";
    }

    static String key(JsonNode event) {
        JsonNode k = event.get("key");
        return k.get("tenant").asText() + "/" + k.get("persona").asText() + "/" + k.get("domain").asText();
    }

    static LoraAdapter adapter(JsonNode u) {
        JsonNode rows = u.get("weights");
        float[][] weights = new float[rows.size()][];
        for (int r = 0; r < weights.length; r++) {
            weights[r] = floats(rows.get(r));
        }
        return new LoraAdapter(u.get("dim").asInt(), u.get("rank").asInt(), u.get("layers").asInt(),
                (float) u.get("alpha").asDouble(), weights);
    }

    static ReasoningBank bank(JsonNode snapshot) {
        List<Pattern> patterns = new ArrayList<>();
        int dim = 0;
        long nextId = 1;
        for (JsonNode p : snapshot.get("patterns")) {
            float[] centroid = floats(p.get("centroid"));
            dim = centroid.length;
            long samples = p.get("samples").asLong();
            Map<String, String> discrete = new TreeMap<>();
            Map<String, Double> numeric = new TreeMap<>();
            p.get("params").fields().forEachRemaining(e -> {
                if (e.getValue().isNumber()) {
                    numeric.put(e.getKey(), e.getValue().asDouble());
                } else {
                    discrete.put(e.getKey(), e.getValue().asText());
                }
            });
            long id = p.get("id").asLong();
            nextId = Math.max(nextId, id + 1);
            patterns.add(new Pattern(id, centroid, samples, p.get("quality_mean").asDouble(),
                    p.get("quality_variance").asDouble() * samples, p.get("route").asText(), discrete, numeric,
                    p.get("created_cycle").asLong(), p.get("updated_cycle").asLong()));
        }
        return new ReasoningBank(dim, patterns, nextId);
    }

    private static float[] floats(JsonNode array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) array.get(i).asDouble();
        }
        return values;
    }
}
