package io.sonaflink.local;

import io.sonaflink.jobs.SonaJob;
import io.sonaflink.jobs.SonaOptions;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.jobs.workload.WorkloadGenerator;
import io.sonaflink.jobs.workload.WorkloadSpec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole job resumes from the committed savepoint of a 0.3 local run (every operator's state,
 * the Kafka sources' included) on a new broker: each key's next adapter versions follow the
 * savepoint's published ones, none repeated or skipped.
 */
class SavepointRestoreITCase {

    @TempDir
    Path dir;

    @Test
    void theJobResumesFromTheSavepointOfA03LocalRunWithoutRepeatingOrSkippingAVersion() throws Exception {
        Path savepoint = dir.resolve("savepoint");
        copy(SavepointToolTest.FIXTURE, savepoint);
        Map<String, ObjectNode> before = SavepointTool.read(savepoint.toString(), null, 1);

        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("kafka"), 0)) {
            Configuration conf = new Configuration();
            conf.set(SonaOptions.KAFKA_BOOTSTRAP_SERVERS, broker.bootstrapServers());
            conf.set(SonaOptions.EMBEDDING_DIMENSION, 16); // the dimension the savepoint's run had
            conf.set(SonaOptions.BACKGROUND_INTERVAL, Duration.ofSeconds(1));
            conf.set(SonaOptions.FEEDBACK_HOLD, Duration.ofSeconds(1));
            conf.set(SonaOptions.MICRO_LEARNING_RATE, 0.05f);
            conf.set(SonaOptions.MICRO_PUBLISH_EVERY, 10);
            conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(1));
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
            conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint.toUri().toString());
            // the local run publishes to a registry: its writer and committer hold state too
            conf.set(SonaOptions.REGISTRY_URI, dir.resolve("registry").toUri().toString());
            Properties client = SonaOptions.kafkaClientProperties(conf);
            client.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            try (Admin admin = Admin.create(client)) {
                SonaLocal.createMissingTopics(admin, SonaOptions.topics(conf), conf.get(SonaOptions.KAFKA_PARTITIONS));
            }
            // the same tenants as the savepoint's run, with new traffic
            Workload workload = WorkloadGenerator.generate(new WorkloadSpec(2, 400, 16, 4, 4, 0.3, 0.0, 1.0, 11L));
            new WorkloadReplay(workload, client, conf.get(SonaOptions.TOPIC_TRAJECTORIES),
                    conf.get(SonaOptions.TOPIC_SIGNALS), null, false, 0).run();
            // Whether new traffic earns a BaseLoRA promotion is learning's business; a rollback of
            // every key's base publishes each key's next base version (and its MicroLoRA's rebase)
            // whatever the traffic teaches, so every lineage is seen to continue.
            produce(client, conf.get(SonaOptions.TOPIC_CONTROL),
                    "{\"id\":\"restore-rollback\",\"command\":\"rollback\",\"kind\":\"base\",\"scope\":\"all\","
                            + "\"timestamp\":" + System.currentTimeMillis() + "}");

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
            SonaJob.build(env, conf);
            JobClient job = env.executeAsync("sona-flink restore from 0.3");
            Map<String, Map<String, List<Long>>> after;
            try {
                boolean resumed = Polling.until(() -> everyKindMovedOn(before, versions(client,
                        conf.get(SonaOptions.TOPIC_ADAPTER_UPDATES))), Duration.ofMinutes(2), Duration.ofSeconds(1));
                after = versions(client, conf.get(SonaOptions.TOPIC_ADAPTER_UPDATES));
                assertThat(resumed).as("new versions of every key and kind after the restore: %s", after).isTrue();
            } finally {
                job.cancel().get();
            }
            for (Map.Entry<String, ObjectNode> key : before.entrySet()) {
                for (String kind : List.of("base", "micro")) {
                    long published = key.getValue().get("gate").get(kind).get("published").asLong();
                    List<Long> next = after.get(key.getKey()).get(kind);
                    for (int i = 0; i < next.size(); i++) {
                        assertThat(next.get(i)).as("%s %s version %d after the restore, savepoint published v%d: %s",
                                key.getKey(), kind, i + 1, published, next).isEqualTo(published + 1 + i);
                    }
                }
            }
        }
    }

    private static void produce(Properties client, String topic, String value) throws Exception {
        Properties p = new Properties();
        p.putAll(client);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get();
        }
    }

    private static boolean everyKindMovedOn(Map<String, ObjectNode> before, Map<String, Map<String, List<Long>>> now) {
        for (Map.Entry<String, ObjectNode> key : before.entrySet()) {
            for (String kind : List.of("base", "micro")) {
                if (now.getOrDefault(key.getKey(), Map.of()).getOrDefault(kind, List.of()).isEmpty()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The committed adapter versions, {@code key -> kind -> versions} in topic order per key. */
    private static Map<String, Map<String, List<Long>>> versions(Properties client, String topic) throws Exception {
        Map<String, Map<String, List<Long>>> out = new TreeMap<>();
        ClusterSmokeClient.readCommitted(client, topic, u -> out.computeIfAbsent(OutputWatcher.key(u), x -> new TreeMap<>())
                .computeIfAbsent(u.get("kind").asText(), x -> new ArrayList<>()).add(u.get("version").asLong()));
        return out;
    }

    private static void copy(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }
}
