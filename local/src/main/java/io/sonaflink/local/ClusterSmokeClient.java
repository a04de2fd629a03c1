package io.sonaflink.local;

import io.sonaflink.jobs.SonaOptions;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.jobs.workload.WorkloadGenerator;
import io.sonaflink.jobs.workload.WorkloadSpec;

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

    /** Every key and kind must have versions 1..n, each once, in order. */
    private static int checkVersions(Properties client, String topic) throws Exception {
        Properties p = new Properties();
        p.putAll(client);
        p.setProperty("isolation.level", "read_committed");
        Map<String, List<Long>> versions = new TreeMap<>();
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
                    JsonNode u = JSON.readTree(r.value());
                    versions.computeIfAbsent(OutputWatcher.key(u) + " " + u.get("kind").asText(),
                            k -> new ArrayList<>()).add(u.get("version").asLong());
                }
            }
        }
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
}
