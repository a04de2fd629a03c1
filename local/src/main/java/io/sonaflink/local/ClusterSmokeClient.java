package io.sonaflink.local;

import io.sonaflink.jobs.SonaOptions;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.jobs.workload.WorkloadGenerator;
import io.sonaflink.jobs.workload.WorkloadSpec;
import io.sonaflink.operators.feedback.SignalRouting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The Kafka side of {@code bin/cluster-smoke-test}, which runs the job jar on a real standalone
 * Flink cluster: produces the built-in workload, waits until the job has consumed it, and checks
 * that the committed adapter updates hold every version exactly once per key and kind.
 *
 * <pre>
 * ClusterSmokeClient produce BOOTSTRAP KEYS EVENTS DIMENSION
 * ClusterSmokeClient await-consumed BOOTSTRAP GROUP TIMEOUT_SECONDS
 * ClusterSmokeClient check-versions BOOTSTRAP
 * </pre>
 */
public final class ClusterSmokeClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterSmokeClient() {}

    public static void main(String[] args) throws Exception {
        Properties client = new Properties();
        client.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[1]);
        Configuration defaults = new Configuration();
        int status = switch (args[0]) {
            case "produce" -> produce(client, defaults, Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]));
            case "await-consumed" -> awaitConsumed(client, defaults, args[2], Duration.ofSeconds(Long.parseLong(args[3])));
            case "check-versions" -> checkVersions(client, defaults.get(SonaOptions.TOPIC_ADAPTER_UPDATES));
            case "count-unmatched" -> countUnmatched(client, defaults.get(SonaOptions.TOPIC_DEAD_LETTERS));
            case "await-running" -> awaitRunning(args[1], args[2], Duration.ofSeconds(Long.parseLong(args[3])));
            case "await-failover" -> awaitFailover(args[1], args[2], Duration.ofSeconds(Long.parseLong(args[3])));
            case "busy-taskmanager" -> busyTaskManager(args[1]);
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        };
        System.exit(status);
    }

    private static int produce(Properties client, Configuration conf, int keys, int events, int dim) throws Exception {
        try (Admin admin = Admin.create(client)) {
            SonaLocal.createMissingTopics(admin, SonaOptions.topics(conf), conf.get(SonaOptions.KAFKA_PARTITIONS));
        }
        WorkloadSpec d = WorkloadSpec.DEFAULT;
        Workload workload = WorkloadGenerator.generate(new WorkloadSpec(keys, events, dim, d.clustersPerKey(),
                d.routes(), d.correctionRate(), d.malformedRate(), d.taskSwitchAt(), d.seed()));
        WorkloadReplay replay = new WorkloadReplay(workload, client, conf.get(SonaOptions.TOPIC_TRAJECTORIES),
                conf.get(SonaOptions.TOPIC_SIGNALS), conf.get(SonaOptions.TOPIC_QUERIES), false, 0);
        replay.run();
        if (replay.failure() != null) {
            throw replay.failure();
        }
        System.out.println("produced " + replay.sent() + " events");
        return 0;
    }

    private static int awaitConsumed(Properties client, Configuration conf, String group, Duration timeout)
            throws Exception {
        try (Admin admin = Admin.create(client)) {
            InputProgress progress = new InputProgress(admin, group,
                    List.of(conf.get(SonaOptions.TOPIC_TRAJECTORIES), conf.get(SonaOptions.TOPIC_SIGNALS)));
            boolean consumed = Polling.until(() -> {
                InputProgress.Offsets offsets = progress.read();
                return offsets.consumed() > 0 && offsets.lag() == 0;
            }, timeout, Duration.ofMillis(500));
            InputProgress.Offsets offsets = progress.read();
            System.out.println("consumed " + offsets.consumed() + ", lag " + offsets.lag());
            return consumed ? 0 : 1;
        }
    }

    /** Waits until every task of the job runs again (after a failover), and says how long that took. */
    private static int awaitRunning(String webUi, String job, Duration timeout) throws Exception {
        long started = System.nanoTime();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        boolean running = Polling.until(() -> SonaLocal.allTasksRunning(http, webUi, job), timeout,
                Duration.ofMillis(200));
        System.out.printf("all tasks of %s running again after %.1f s%n", job, (System.nanoTime() - started) / 1e9);
        return running ? 0 : 1;
    }

    /**
     * Waits for the job to notice a failure (a task not running) and then for every task to run
     * again, and prints both times: the detection and the recovery.
     */
    private static int awaitFailover(String webUi, String job, Duration timeout) throws Exception {
        long started = System.nanoTime();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        boolean failed = Polling.until(() -> !SonaLocal.allTasksRunning(http, webUi, job), timeout,
                Duration.ofMillis(100));
        long detected = System.nanoTime();
        if (!failed) {
            System.out.printf("no task of %s stopped within %d s%n", job, timeout.toSeconds());
            return 0;
        }
        boolean running = Polling.until(() -> SonaLocal.allTasksRunning(http, webUi, job), timeout,
                Duration.ofMillis(200));
        System.out.printf("failure noticed after %.1f s; all tasks of %s running again %.1f s later%n",
                (detected - started) / 1e9, job, (System.nanoTime() - detected) / 1e9);
        return running ? 0 : 1;
    }

    /** Prints the resource id of a TaskManager that holds a slot of a running job. */
    private static int busyTaskManager(String webUi) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(webUi + "/taskmanagers"))
                .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        for (JsonNode tm : JSON.readTree(response.body()).path("taskmanagers")) {
            if (tm.path("freeSlots").asInt() < tm.path("slotsNumber").asInt()) {
                System.out.println(tm.path("id").asText());
                return 0;
            }
        }
        return 1;
    }

    /** Prints how many committed dead letters are signals that found no trajectory. */
    private static int countUnmatched(Properties client, String topic) throws Exception {
        long[] unmatched = {0};
        readCommitted(client, topic, d -> {
            if (SignalRouting.UNMATCHED_SOURCE.equals(d.path("source").asText())) {
                unmatched[0]++;
            }
        });
        System.out.println(unmatched[0]);
        return 0;
    }

    /** Every key and kind must have versions 1..n, each once, in order. */
    private static int checkVersions(Properties client, String topic) throws Exception {
        Map<String, List<Long>> versions = new TreeMap<>();
        readCommitted(client, topic, u -> versions.computeIfAbsent(OutputWatcher.key(u) + " " + u.get("kind").asText(),
                k -> new ArrayList<>()).add(u.get("version").asLong()));
        boolean ok = !versions.isEmpty();
        for (Map.Entry<String, List<Long>> e : versions.entrySet()) {
            List<Long> v = e.getValue();
            boolean consecutive = true;
            for (int i = 0; i < v.size(); i++) {
                consecutive &= v.get(i) == i + 1;
            }
            System.out.printf("%s: %d versions%s%n", e.getKey(), v.size(), consecutive ? ", 1.." + v.size()
                    + " each once, in order" : " NOT consecutive: " + v);
            ok &= consecutive;
        }
        return ok ? 0 : 1;
    }

    /** Hands every committed record of {@code topic} to {@code each}, from the beginning to the current end. */
    static void readCommitted(Properties client, String topic, java.util.function.Consumer<JsonNode> each)
            throws Exception {
        Properties p = new Properties();
        p.putAll(client);
        p.setProperty("isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    each.accept(JSON.readTree(r.value()));
                }
            }
        }
    }
}
