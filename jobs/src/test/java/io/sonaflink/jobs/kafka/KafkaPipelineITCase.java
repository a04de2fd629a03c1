package io.sonaflink.jobs.kafka;

import io.sonaflink.connectors.json.OutputJson;
import io.sonaflink.connectors.kafka.SonaKafka;
import io.sonaflink.jobs.EmptyInputs;
import io.sonaflink.jobs.SonaJob;
import io.sonaflink.jobs.SonaOptions;
import io.sonaflink.jobs.SonaPipeline;
import io.sonaflink.jobs.SonaSinks;
import io.sonaflink.jobs.testing.CollectingSink;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.jobs.workload.WorkloadGenerator;
import io.sonaflink.jobs.workload.WorkloadSpec;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.RawRecord;

import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.serialization.StateSerializers;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import java.util.Base64;
import java.util.TreeMap;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job between real Kafka topics on an in-JVM broker (KRaft, loopback): trajectories and
 * signals in, adapter updates out through a transactional sink, read back with read_committed,
 * with and without a failover.
 */
class KafkaPipelineITCase {

    private static final int DIM = 16;
    private static final WorkloadSpec SPEC = new WorkloadSpec(2, 300, DIM, 4, 4, 0.3, 0.01, 0.5, 5L);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    private static KafkaClusterTestKit kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build();
        kafka.format();
        kafka.startup();
        kafka.waitForReadyBrokers();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void adapterUpdatesAreCommittedExactlyOnceAndInVersionOrder() throws Exception {
        createAndFillTopics("bounded");
        Configuration conf = restartStrategy("none");
        StreamExecutionEnvironment env = environment(conf);
        buildJob(env, conf, "bounded", true, FailOn.NONE);
        env.execute("sona-kafka-it");
        assertExactlyOnceInVersionOrder(readCommitted("bounded-adapter-updates"));
    }

    /**
     * In the shape of Flink's KafkaSinkITCase: the job fails once right after a checkpoint,
     * restarts from it, and is then stopped with a draining savepoint; the committed output still
     * holds every adapter version exactly once, in order, with either way of naming transactions;
     * pooled names stay a handful however many checkpoints pass, incrementing ones grow with them.
     */
    @ParameterizedTest
    @EnumSource(TransactionNamingStrategy.class)
    void failoverNeitherDuplicatesNorSkipsVersions(TransactionNamingStrategy naming, @TempDir Path savepoints)
            throws Exception {
        String prefix = "failover-" + naming.name().toLowerCase(Locale.ROOT);
        createAndFillTopics(prefix);
        FailOnceAfterCheckpoint.reset();
        Configuration conf = restartStrategy("fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        StreamExecutionEnvironment env = environment(conf);
        buildJob(env, conf, prefix, false, FailOn.TRAJECTORIES, naming);
        JobClient job = env.executeAsync("sona-kafka-failover-it");
        try {
            long deadline = System.currentTimeMillis() + 60_000;
            // enough checkpoints after the recovery that incrementing names outnumber any pool
            while (FailOnceAfterCheckpoint.CHECKPOINTS_AFTER_RECOVERY.get() < 10
                    && System.currentTimeMillis() < deadline) {
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            }
            assertThat(FailOnceAfterCheckpoint.FAILED).isTrue();
            assertThat(FailOnceAfterCheckpoint.CHECKPOINTS_AFTER_RECOVERY.get()).isGreaterThanOrEqualTo(10);
            drainWithSavepoint(job, savepoints);
        } finally {
            cancelIfRunning(job);
        }

        assertExactlyOnceInVersionOrder(readCommitted(prefix + "-adapter-updates"));
        long names = transactionalIds(prefix + "-updates");
        if (naming == TransactionNamingStrategy.POOLING) {
            // two writer subtasks, each with a transaction open and at most a few awaiting commit
            assertThat(names).as("pooled transactional ids").isBetween(1L, 8L);
        } else {
            assertThat(names).as("transactional ids, one per checkpoint and subtask").isGreaterThan(8L);
        }
    }

    /** The transactional ids the broker knows whose names start with {@code prefix}. */
    private static long transactionalIds(String prefix) throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            return admin.listTransactions().all().get().stream()
                    .filter(t -> t.transactionalId().startsWith(prefix + "-"))
                    .count();
        }
    }

    /**
     * The MicroLoRA state after a failover is bit for bit the state of a failure-free run. Imports
     * reach the instant loop (in the gate) in topic order (one partition, parallelism 1, no processing-time
     * hold), so both runs see the same corrections in the same order; the failover run learns
     * half of them, fails right after a checkpoint, restarts from it and learns the rest. Each run
     * ends with a draining savepoint whose MicroLoRA state (in the adapter gate, where the instant loop runs) is read back.
     */
    @Test
    void microLoraAfterAFailoverEqualsAFailureFreeRunBitForBit(@TempDir Path savepoints) throws Exception {
        List<byte[]> imports = imports(WorkloadGenerator.generate(SPEC));
        assertThat(imports).hasSizeGreaterThan(100);

        Map<String, String> reference = microLoraAfterRun("imports-reference", imports, false, savepoints);
        Map<String, String> recovered = microLoraAfterRun("imports-failover", imports, true, savepoints);

        assertThat(reference).containsOnlyKeys("acme/assistant/general", "globex/assistant/general");
        assertThat(recovered).isEqualTo(reference);
        assertThat(FailOnceAfterCheckpoint.FAILED).isTrue();
    }

    /**
     * A poison pill: malformed records at the payload limit and far above it (which a broker
     * configured for large messages accepts) each become one bounded dead letter, truncated with
     * its size and digest, while the good records around them are learned and committed. Before
     * dead letters were bounded, the one above ~786 KB made a dead letter over the producer's
     * max.request.size and the job restarted forever.
     */
    @Test
    void aMalformedRecordOfAnySizeIsOneBoundedDeadLetterAndTheRestCommits() throws Exception {
        String prefix = "poison";
        Configuration conf = restartStrategy("none");
        useOwnTopics(conf, prefix);
        conf.set(SonaOptions.KAFKA_BOUNDED, true);
        try (Admin admin = Admin.create(clientProperties())) {
            List<NewTopic> topics = new ArrayList<>();
            for (String topic : SonaOptions.topics(conf)) {
                topics.add(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "8388608")));
            }
            admin.createTopics(topics).all().get();
        }
        Workload workload = WorkloadGenerator.generate(new WorkloadSpec(2, 200, DIM, 2, 2, 0.2, 0.0, 0.5, 5L));
        int limit = SonaOptions.MAX_PAYLOAD_BYTES.defaultValue();
        byte[] atLimit = malformed(limit);
        byte[] farAbove = malformed(6 << 20);
        List<byte[]> trajectories = new ArrayList<>(workload.trajectories());
        trajectories.add(trajectories.size() / 3, atLimit);
        trajectories.add(2 * trajectories.size() / 3, farAbove);
        Properties big = clientProperties();
        big.setProperty("max.request.size", Integer.toString(8 << 20));
        produce(conf.get(SonaOptions.TOPIC_TRAJECTORIES), trajectories, big);
        produce(conf.get(SonaOptions.TOPIC_SIGNALS), workload.signals(), big);

        StreamExecutionEnvironment env = environment(conf);
        SonaJob.build(env, conf);
        env.execute("sona-kafka-poison-it");

        List<JsonNode> dead = readCommitted(conf.get(SonaOptions.TOPIC_DEAD_LETTERS));
        assertThat(dead).hasSize(2);
        for (JsonNode d : dead) {
            byte[] payload = d.get("size").asInt() == atLimit.length ? atLimit : farAbove;
            assertThat(d.get("size").asInt()).isEqualTo(payload.length);
            assertThat(d.get("truncated").asBoolean()).isTrue();
            assertThat(d.get("sha256").asText()).isEqualTo(io.sonaflink.connectors.Checksums.sha256(payload));
            assertThat(java.util.Base64.getDecoder().decode(d.get("raw_base64").asText())).isEqualTo(
                    java.util.Arrays.copyOf(payload, SonaOptions.DEAD_LETTER_MAX_RAW_BYTES.defaultValue()));
        }
        assertThat(dead).extracting(d -> d.get("size").asInt()).containsExactlyInAnyOrder(atLimit.length,
                farAbove.length);
        assertThat(dead).anySatisfy(d -> assertThat(d.get("reason").asText()).contains("exceeds"));
        // the good records before and after both pills were learned: every key's window committed
        assertThat(readCommitted(conf.get(SonaOptions.TOPIC_PATTERN_SNAPSHOTS)))
                .extracting(n -> n.get("key").get("tenant").asText()).containsExactlyInAnyOrder("acme", "globex");
    }

    /**
     * A key's corrections written before its trajectories, as a backlog holds them when the
     * signals are read faster: unpaced, they reach the join long before their trajectories and
     * push each other out of its bounded early-signal state as dead letters (with {@code
     * sona.kafka.alignment.max-drift} 0 this run dead-letters hundreds). Aligned by their record
     * timestamps, the signals source waits for the trajectories and not one correction is lost.
     * Another key's stream is read first, so that both sources have reported where they are (a
     * source that has not is not paced yet), and the idleness timeout is longer than the test, so
     * that the trajectories source, quiet while the corrections are written, still holds them back.
     */
    @Test
    void trajectoriesAndSignalsAreReadInStepSoABacklogLosesNoCorrection(@TempDir Path savepoints) throws Exception {
        String prefix = "aligned";
        int kept = 1_000;
        Configuration conf = restartStrategy("none");
        useOwnTopics(conf, prefix);
        conf.set(SonaOptions.FEEDBACK_MAX_KEPT_PER_KEY, kept);
        conf.set(SonaOptions.FEEDBACK_HOLD, Duration.ofMinutes(1));
        conf.set(SonaOptions.KAFKA_ALIGNMENT_MAX_DRIFT, Duration.ofMillis(200));
        conf.set(SonaOptions.KAFKA_ALIGNMENT_UPDATE_INTERVAL, Duration.ofMillis(20));
        conf.set(SonaOptions.KAFKA_ALIGNMENT_IDLE_TIMEOUT, Duration.ofMinutes(5));
        conf.set(PipelineOptions.AUTO_WATERMARK_INTERVAL, Duration.ofMillis(10));
        try (Admin admin = Admin.create(clientProperties())) {
            List<NewTopic> topics = new ArrayList<>();
            for (String topic : SonaOptions.topics(conf)) {
                topics.add(new NewTopic(topic, 1, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
        // a signal is stamped 5 ms after its trajectory; globex's trajectories 1 ms apart, acme's
        // 10 ms apart after them
        Workload workload = WorkloadGenerator.generate(new WorkloadSpec(2, 4_000, DIM, 2, 2, 0.4, 0.0, 0.5, 5L));
        long start = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
        Map<String, Long> stamps = new HashMap<>();
        Map<String, List<JsonNode>> trajectories = new HashMap<>();
        for (byte[] line : workload.trajectories()) {
            JsonNode t = JSON.readTree(line);
            List<JsonNode> ofKey = trajectories.computeIfAbsent(tenant(t), k -> new ArrayList<>());
            stamps.put(t.get("id").asText(), start + (tenant(t).equals("globex") ? ofKey.size() : 10_000 + 10L * ofKey.size()));
            ofKey.add(t);
        }
        Map<String, List<JsonNode>> signals = new HashMap<>();
        for (byte[] line : workload.signals()) {
            JsonNode signal = JSON.readTree(line);
            signals.computeIfAbsent(tenant(signal), k -> new ArrayList<>()).add(signal);
        }
        List<JsonNode> warmUp = signals.get("globex").subList(0, kept / 2);
        long warmUpEnd = stamps.get(warmUp.get(warmUp.size() - 1).get("trajectory_id").asText());
        List<JsonNode> warmUpTrajectories = trajectories.get("globex").stream()
                .filter(t -> stamps.get(t.get("id").asText()) <= warmUpEnd).toList();
        assertThat(signals.get("acme")).hasSizeGreaterThan(kept + kept / 2); // more than the join keeps waiting
        String trajectoriesTopic = conf.get(SonaOptions.TOPIC_TRAJECTORIES);
        String signalsTopic = conf.get(SonaOptions.TOPIC_SIGNALS);
        java.util.function.ToLongFunction<JsonNode> trajectoryStamp = t -> stamps.get(t.get("id").asText());
        java.util.function.ToLongFunction<JsonNode> signalStamp = s -> stamps.get(s.get("trajectory_id").asText()) + 5;
        produce(trajectoriesTopic, warmUpTrajectories, trajectoryStamp);
        produce(signalsTopic, warmUp, signalStamp);

        StreamExecutionEnvironment env = environment(conf);
        SonaJob.build(env, conf);
        JobClient job = env.executeAsync("sona-kafka-aligned-it");
        try {
            awaitCondition(() -> committedOffset(prefix, trajectoriesTopic) == warmUpTrajectories.size()
                    && committedOffset(prefix, signalsTopic) == warmUp.size(), "the warm-up read");
            produce(signalsTopic, signals.get("acme"), signalStamp); // the corrections first
            produce(trajectoriesTopic, trajectories.get("acme"), trajectoryStamp);
            long trajectoryCount = warmUpTrajectories.size() + trajectories.get("acme").size();
            long signalCount = warmUp.size() + signals.get("acme").size();
            awaitCondition(() -> committedOffset(prefix, trajectoriesTopic) == trajectoryCount
                    && committedOffset(prefix, signalsTopic) == signalCount, "both topics read");
            drainWithSavepoint(job, savepoints); // the join passes on what still waits
        } finally {
            cancelIfRunning(job);
        }
        assertThat(readCommitted(conf.get(SonaOptions.TOPIC_DEAD_LETTERS))).isEmpty();
        assertThat(readCommitted(conf.get(SonaOptions.TOPIC_ADAPTER_UPDATES)))
                .extracting(n -> tenant(n) + "/" + n.get("kind").asText())
                .contains("acme/micro", "globex/micro");
    }

    private static String tenant(JsonNode event) {
        return event.get("key").get("tenant").asText();
    }

    /** The whole job (SonaJob.build) on this broker, its topics, group and transactions named by {@code prefix}. */
    private static void useOwnTopics(Configuration conf, String prefix) {
        for (ConfigOption<String> topic : List.of(SonaOptions.TOPIC_TRAJECTORIES, SonaOptions.TOPIC_SIGNALS,
                SonaOptions.TOPIC_CONTROL, SonaOptions.TOPIC_QUERIES, SonaOptions.TOPIC_ADAPTER_UPDATES,
                SonaOptions.TOPIC_PATTERN_SNAPSHOTS, SonaOptions.TOPIC_SKILL_MAPS, SonaOptions.TOPIC_DEAD_LETTERS,
                SonaOptions.TOPIC_GATE_DECISIONS, SonaOptions.TOPIC_RESPONSES)) {
            conf.set(topic, prefix + "-" + topic.defaultValue());
        }
        conf.set(SonaOptions.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        conf.set(SonaOptions.KAFKA_GROUP_ID, prefix);
        conf.set(SonaOptions.KAFKA_TRANSACTIONAL_ID_PREFIX, prefix);
    }


    /** What no restart heals fails the submission with its cause, instead of a restart loop. */
    @Test
    void preflightNamesMissingTopicsAndAnUnreachableBroker() throws Exception {
        Configuration conf = new Configuration();
        conf.set(SonaOptions.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        for (ConfigOption<String> topic : List.of(SonaOptions.TOPIC_TRAJECTORIES, SonaOptions.TOPIC_SIGNALS,
                SonaOptions.TOPIC_CONTROL, SonaOptions.TOPIC_QUERIES, SonaOptions.TOPIC_ADAPTER_UPDATES,
                SonaOptions.TOPIC_PATTERN_SNAPSHOTS, SonaOptions.TOPIC_SKILL_MAPS, SonaOptions.TOPIC_DEAD_LETTERS,
                SonaOptions.TOPIC_GATE_DECISIONS, SonaOptions.TOPIC_RESPONSES)) {
            conf.set(topic, "preflight-" + topic.defaultValue());
        }
        try (Admin admin = Admin.create(clientProperties())) {
            admin.createTopics(List.of(new NewTopic("preflight-sona.trajectories", 1, (short) 1))).all().get();
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.sonaflink.connectors.kafka.KafkaPreflight.check(
                        kafka.bootstrapServers(), new Properties(), SonaOptions.topics(conf), Duration.ofSeconds(20)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has no topic [preflight-sona.signals, preflight-sona.control")
                .hasMessageNotContaining("preflight-sona.trajectories,");

        try (Admin admin = Admin.create(clientProperties())) {
            List<NewTopic> rest = new ArrayList<>();
            SonaOptions.topics(conf).stream().filter(t -> !t.equals("preflight-sona.trajectories"))
                    .forEach(t -> rest.add(new NewTopic(t, 1, (short) 1)));
            admin.createTopics(rest).all().get();
        }
        io.sonaflink.connectors.kafka.KafkaPreflight.check(kafka.bootstrapServers(), new Properties(),
                SonaOptions.topics(conf), Duration.ofSeconds(20));

        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.sonaflink.connectors.kafka.KafkaPreflight.check(
                        "127.0.0.1:" + closedPort, new Properties(), SonaOptions.topics(conf), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("answered within PT2S");
    }

    /** {@code size} bytes that start like a trajectory and are not JSON. */
    private static byte[] malformed(int size) {
        byte[] bytes = new byte[size];
        java.util.Arrays.fill(bytes, (byte) 'x');
        byte[] head = "{\"id\": \"pill\", \"embedding\": [".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.arraycopy(head, 0, bytes, 0, head.length);
        return bytes;
    }

    /** Serialized MicroLoRA state per key after one run over {@code imports}. */
    private static Map<String, String> microLoraAfterRun(
            String prefix, List<byte[]> imports, boolean failOnce, Path savepoints) throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            admin.createTopics(List.of(new NewTopic(prefix + "-trajectories", 1, (short) 1),
                    new NewTopic(prefix + "-signals", 1, (short) 1),
                    new NewTopic(prefix + "-adapter-updates", 1, (short) 1))).all().get();
        }
        int half = imports.size() / 2;
        produce(prefix + "-signals", failOnce ? imports.subList(0, half) : imports);
        FailOnceAfterCheckpoint.reset();
        Configuration conf = restartStrategy(failOnce ? "fixed-delay" : "none");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        StreamExecutionEnvironment env = environment(conf);
        env.setParallelism(1);
        buildJob(env, conf, prefix, false, failOnce ? FailOn.SIGNALS : FailOn.NONE);
        JobClient job = env.executeAsync(prefix);
        String savepoint;
        try {
            if (failOnce) {
                awaitCondition(() -> FailOnceAfterCheckpoint.CHECKPOINTS_AFTER_RECOVERY.get() >= 1, "a recovery");
                produce(prefix + "-signals", imports.subList(half, imports.size()));
            }
            awaitCondition(() -> committedOffset(prefix, prefix + "-signals") == imports.size(),
                    "every import consumed");
            savepoint = drainWithSavepoint(job, savepoints.resolve(prefix));
        } finally {
            cancelIfRunning(job);
        }
        return microLoraState(savepoint);
    }

    /**
     * Stops the job with a draining savepoint and waits for it to finish. A savepoint can be
     * declined while a bounded input's task (the empty control and query inputs) is finishing, a
     * transient race; an operator would try again, and so does this.
     */
    private static String drainWithSavepoint(JobClient job, Path directory) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                String savepoint = job.stopWithSavepoint(true, directory.toUri().toString(),
                        SavepointFormatType.CANONICAL).get();
                job.getJobExecutionResult().get();
                return savepoint;
            } catch (java.util.concurrent.ExecutionException e) {
                boolean declined = org.apache.flink.util.ExceptionUtils.findThrowable(e,
                        org.apache.flink.runtime.checkpoint.CheckpointException.class).isPresent();
                if (!declined || attempt == 5 || job.getJobStatus().get().isGloballyTerminalState()) {
                    throw e;
                }
                LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
            }
        }
    }

    /** A test that fails half-way must not leave its job holding the MiniCluster's slots. */
    private static void cancelIfRunning(JobClient job) throws Exception {
        if (!job.getJobStatus().get().isGloballyTerminalState()) {
            job.cancel().get();
        }
    }

    private static Map<String, String> microLoraState(String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(1);
        Map<String, String> state = new TreeMap<>();
        try (CloseableIterator<String> rows = SavepointReader.read(env, savepoint, new EmbeddedRocksDBStateBackend())
                .readKeyedState(OperatorIdentifier.forUid("sona.adapter-gate"), new MicroLoraReader(),
                        Types.STRING, Types.STRING)
                .executeAndCollect()) {
            rows.forEachRemaining(row -> state.put(row.substring(0, row.indexOf('=')), row.substring(row.indexOf('=') + 1)));
        }
        return state;
    }

    /** Each key's MicroLoRA state as {@code key=base64 of its serialized bytes}: equal strings, equal bits. */
    private static final class MicroLoraReader extends KeyedStateReaderFunction<String, String> {
        private transient ValueState<MicroLora> micro;

        @Override
        public void open(OpenContext context) {
            micro = getRuntimeContext().getState(
                    new ValueStateDescriptor<>(AdapterGateFunction.MICRO_LORA_STATE, StateSerializers.microLora()));
        }

        @Override
        public void readKey(String key, Context context, Collector<String> out) throws Exception {
            MicroLora value = micro.value();
            if (value != null) {
                DataOutputSerializer bytes = new DataOutputSerializer(4096);
                StateSerializers.microLora().serialize(value, bytes);
                out.collect(key + "=" + Base64.getEncoder().encodeToString(bytes.getCopyOfBuffer()));
            }
        }
    }

    /** The workload's corrections as import signals (input and target together). */
    private static List<byte[]> imports(Workload workload) throws Exception {
        Map<String, JsonNode> trajectories = new HashMap<>();
        for (byte[] line : workload.trajectories()) {
            try {
                JsonNode t = JSON.readTree(line);
                if (t.hasNonNull("id") && t.path("embedding").isArray()) {
                    trajectories.put(t.get("id").asText(), t);
                }
            } catch (java.io.IOException malformed) {
                // the workload's deliberately broken lines have no place in this test
            }
        }
        List<byte[]> imports = new ArrayList<>();
        for (byte[] line : workload.signals()) {
            JsonNode s;
            try {
                s = JSON.readTree(line);
            } catch (java.io.IOException malformed) {
                continue;
            }
            JsonNode t = trajectories.get(s.path("trajectory_id").asText());
            if (t == null || !s.path("target").isArray() || s.path("target").size() != DIM
                    || t.get("embedding").size() != DIM || !s.has("key")) {
                continue;
            }
            com.fasterxml.jackson.databind.node.ObjectNode i = JSON.createObjectNode();
            i.put("id", s.get("id").asText() + "-import");
            i.set("key", s.get("key"));
            i.put("type", "import");
            i.put("source", "human");
            i.set("input", t.get("embedding"));
            i.set("target", s.get("target"));
            i.put("timestamp", s.get("timestamp").asLong());
            imports.add(JSON.writeValueAsBytes(i));
        }
        return imports;
    }

    private static long committedOffset(String group, String topic) {
        try (Admin admin = Admin.create(clientProperties())) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(topic, 0));
            return offset == null ? -1 : offset.offset();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!condition.getAsBoolean()) {
            assertThat(System.currentTimeMillis()).as("waiting for " + what).isLessThan(deadline);
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    private static void createAndFillTopics(String prefix) throws Exception {
        Workload workload = WorkloadGenerator.generate(SPEC);
        try (Admin admin = Admin.create(clientProperties())) {
            admin.createTopics(List.of(new NewTopic(prefix + "-trajectories", 1, (short) 1),
                    new NewTopic(prefix + "-signals", 1, (short) 1),
                    new NewTopic(prefix + "-adapter-updates", 2, (short) 1))).all().get();
        }
        produce(prefix + "-trajectories", workload.trajectories());
        produce(prefix + "-signals", workload.signals());
    }

    private static Configuration restartStrategy(String strategy) {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, strategy);
        return conf;
    }

    private static StreamExecutionEnvironment environment(Configuration conf) {
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(300));
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        conf.set(SonaOptions.EMBEDDING_DIMENSION, DIM);
        conf.set(SonaOptions.PATTERN_CLUSTERS, 4);
        conf.set(SonaOptions.MICRO_LEARNING_RATE, 0.5f);
        conf.set(SonaOptions.MICRO_PUBLISH_EVERY, 10);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        return env;
    }

    /** Where the injected failure sits. */
    private enum FailOn { NONE, TRAJECTORIES, SIGNALS }

    private static void buildJob(
            StreamExecutionEnvironment env, Configuration conf, String prefix, boolean bounded, FailOn failOn) {
        buildJob(env, conf, prefix, bounded, failOn, TransactionNamingStrategy.DEFAULT);
    }

    private static void buildJob(StreamExecutionEnvironment env, Configuration conf, String prefix, boolean bounded,
            FailOn failOn, TransactionNamingStrategy naming) {
        String bootstrap = kafka.bootstrapServers();
        Properties client = new Properties();
        DataStream<RawRecord> trajectories = env.fromSource(
                        SonaKafka.rawSource(bootstrap, prefix + "-trajectories", prefix, client, bounded),
                        WatermarkStrategy.noWatermarks(), "kafka-trajectories")
                .uid("sona.source.trajectories");
        DataStream<RawRecord> signals = env.fromSource(
                        SonaKafka.rawSource(bootstrap, prefix + "-signals", prefix, client, bounded),
                        WatermarkStrategy.noWatermarks(), "kafka-signals")
                .uid("sona.source.signals");
        if (failOn == FailOn.TRAJECTORIES) {
            trajectories = trajectories.map(new FailOnceAfterCheckpoint()).returns(EventCodecs.RAW_RECORD)
                    .name("fail-once").uid("test.fail-once");
        } else if (failOn == FailOn.SIGNALS) {
            signals = signals.map(new FailOnceAfterCheckpoint()).returns(EventCodecs.RAW_RECORD)
                    .name("fail-once").uid("test.fail-once");
        }
        SonaPipeline.build(
                trajectories,
                signals,
                EmptyInputs.none(env, "control"),
                EmptyInputs.none(env, "queries"),
                new SonaSinks(
                        SonaKafka.<AdapterUpdate>sink(bootstrap, prefix + "-adapter-updates",
                                u -> u.key().asString(), OutputJson::adapterUpdate, DeliveryGuarantee.EXACTLY_ONCE,
                                prefix + "-updates", naming, client, SonaKafka.DEFAULT_TRANSACTION_TIMEOUT_MS),
                        new CollectingSink<>(prefix + "-patterns"), new CollectingSink<>(prefix + "-skills"),
                        new CollectingSink<>(prefix + "-dead"), new CollectingSink<>(prefix + "-decisions"),
                        new CollectingSink<>(prefix + "-responses")),
                conf);
    }

    private static void assertExactlyOnceInVersionOrder(List<JsonNode> updates) {
        assertThat(updates).isNotEmpty();
        Set<String> seen = new HashSet<>();
        Map<String, Long> lastVersion = new HashMap<>();
        for (JsonNode u : updates) {
            String key = u.get("key").get("tenant").asText() + "/" + u.get("kind").asText();
            long version = u.get("version").asLong();
            assertThat(seen.add(key + "@" + version)).as("duplicate %s v%d", key, version).isTrue();
            // one key's updates share a partition, so they are read in the order they were written
            assertThat(version).as("version after v%d of %s", lastVersion.getOrDefault(key, 0L), key)
                    .isEqualTo(lastVersion.getOrDefault(key, 0L) + 1);
            lastVersion.put(key, version);
        }
        assertThat(lastVersion.keySet()).contains("acme/micro", "globex/micro", "acme/base", "globex/base");
    }

    private static Properties clientProperties() {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", kafka.bootstrapServers());
        return p;
    }

    private static void produce(String topic, List<byte[]> lines) throws Exception {
        produce(topic, lines, clientProperties());
    }

    /**
     * Sends {@code lines} in order. One request in flight: a first batch refused while a new
     * topic's leader settles is retried before the next is sent, where with several in flight the
     * idempotent producer could loop on out-of-order sequences until its delivery timeout (2 min).
     */
    private static void produce(String topic, List<byte[]> lines, Properties properties) throws Exception {
        produce(topic, lines, null, properties);
    }

    /** Sends {@code events} in order as JSON, each with its record timestamp from {@code timestamp}. */
    private static void produce(String topic, List<JsonNode> events,
            java.util.function.ToLongFunction<JsonNode> timestamp) throws Exception {
        List<byte[]> lines = new ArrayList<>();
        List<Long> timestamps = new ArrayList<>();
        for (JsonNode event : events) {
            lines.add(JSON.writeValueAsBytes(event));
            timestamps.add(timestamp.applyAsLong(event));
        }
        produce(topic, lines, timestamps, clientProperties());
    }

    /** {@code timestamps} null: the producer stamps the records when it sends them. */
    private static void produce(String topic, List<byte[]> lines, List<Long> timestamps, Properties properties)
            throws Exception {
        Properties p = new Properties();
        p.putAll(properties);
        p.setProperty(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < lines.size(); i++) {
                Long timestamp = timestamps == null ? null : timestamps.get(i);
                producer.send(new ProducerRecord<>(topic, null, timestamp, null, lines.get(i)));
            }
            producer.flush();
        }
    }

    private static List<JsonNode> readCommitted(String topic) throws Exception {
        Properties p = clientProperties();
        p.setProperty("isolation.level", "read_committed");
        p.setProperty("auto.offset.reset", "earliest");
        List<JsonNode> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(JSON.readTree(r.value()));
                }
            }
        }
        return out;
    }
}
