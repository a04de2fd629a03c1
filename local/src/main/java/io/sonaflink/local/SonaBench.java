package io.sonaflink.local;

import io.sonaflink.jobs.SonaJob;
import io.sonaflink.jobs.CommandLines;
import io.sonaflink.jobs.SettingsOption;
import io.sonaflink.jobs.SonaOptions;
import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.feedback.FeedbackJoinFunction;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.operators.inference.InferenceOperator;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * The end-to-end benchmark: a real Kafka broker on 127.0.0.1, a generated workload produced into
 * it first at full speed (base64 embeddings), then the job on a local MiniCluster with the
 * project's configuration (RocksDB, exactly-once checkpoints and sinks) reading it from the
 * start. Producing first separates what the producer costs from what the job sustains; the job's
 * rate is read from its own source metrics, its latencies and state from its metrics and
 * checkpoint statistics over the REST API. Prints one result line and writes {@code result.json}.
 */
@Command(name = "sona-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs the job end to end through a local Kafka broker on a generated workload and reports "
                + "sustained trajectories/s, latencies, checkpoints, heap and state per key.")
public final class SonaBench implements Callable<Integer> {

    @Option(names = "--keys", description = "Adapter keys (default: ${DEFAULT-VALUE}).")
    int keys = 4;

    @Option(names = "--events", description = "Trajectories per key (default: ${DEFAULT-VALUE}).")
    long eventsPerKey = 50_000;

    @Option(names = "--dimension", description = "Embedding dimension (default: ${DEFAULT-VALUE}).")
    int dimension = 256;

    @Option(names = "--clusters", description = "Clusters per key (default: ${DEFAULT-VALUE}).")
    int clusters = 10;

    @Option(names = "--correction-share", description = "Share of trajectories corrected (default: ${DEFAULT-VALUE}).")
    double correctionShare = 0.2;

    @Option(names = "--query-share", description = "Queries per trajectory (default: ${DEFAULT-VALUE}).")
    double queryShare = 0.01;

    @Option(names = "--checkpoint-interval", converter = FlinkDuration.class,
            description = "Checkpoint interval, e.g. 10s (default: 10s).")
    Duration checkpointInterval = Duration.ofSeconds(10);

    @Option(names = "--latency-rate", description = "Trajectories/s produced after the backlog, while latencies "
            + "are measured (default: half the sustained rate).")
    double latencyRate;

    @Option(names = "--latency-seconds", description = "Latencies are measured until every gate subtask has learned "
            + "a full histogram window of corrections, or this long (default: ${DEFAULT-VALUE}).")
    long latencySeconds = 120;

    @Option(names = "--latency-warmup", converter = FlinkDuration.class,
            description = "How long the latency phase's load runs before latencies count, e.g. 90s: the JIT "
                    + "compiles for a minute and more after the job starts (default: 0s).")
    Duration latencyWarmup = Duration.ZERO;

    @Option(names = "--max-seconds", description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    long maxSeconds = 1_200;

    @Option(names = "--out", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("target", "bench");

    @Option(names = "--conf", description = "Directory of config.yaml (default: ${DEFAULT-VALUE}).")
    Path confDir = Path.of("conf");

    @Mixin
    final SettingsOption settings = new SettingsOption();

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Durations as Flink's configuration writes them: 10s, 500ms, 1min. */
    static final class FlinkDuration implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return TimeUtils.parseDuration(value);
        }
    }
    /** The feedback hold of a benchmark run unless set: short, so the backlog settles soon after it is read. */
    static final Duration BENCH_FEEDBACK_HOLD = Duration.ofSeconds(2);

    public static void main(String[] args) {
        CommandLines.runAndExit(new SonaBench(), args);
    }

    @Override
    public Integer call() throws Exception {
        BenchWorkload.Spec spec = new BenchWorkload.Spec(keys, eventsPerKey, dimension, clusters, correctionShare,
                queryShare, 42L);
        Files.createDirectories(out);
        Configuration conf = configuration();
        Path data = out.resolve("kafka");
        SonaLocal.deleteRecursively(data); // a fresh broker: the job reads the workload from its start
        try (KafkaBrokerProcess kafka = KafkaBrokerProcess.start(data, 0)) {
            conf.set(SonaOptions.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            Properties client = new Properties();
            client.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            try (Admin admin = Admin.create(client)) {
                SonaLocal.createMissingTopics(admin, SonaOptions.topics(conf), conf.get(SonaOptions.KAFKA_PARTITIONS));
                BenchWorkload workload = new BenchWorkload(spec);
                Produced produced = produce(workload, client, conf, 0, spec.trajectories(), 0);
                System.out.printf(Locale.ROOT, "produced %d trajectories, %d corrections, %d queries in %.1f s "
                                + "(%.0f events/s)%n", produced.trajectories, produced.corrections, produced.queries,
                        produced.seconds, produced.inputs() / produced.seconds);
                Result result = runJob(spec, workload, conf, admin, client, produced);
                String line = result.line(spec);
                System.out.println(line);
                Map<String, Object> json = new LinkedHashMap<>(result.facts);
                json.put("date", LocalDate.now().toString());
                json.put("spec", spec.toString());
                json.put("producerEventsPerSecond", produced.inputs() / produced.seconds);
                Files.writeString(out.resolve("result.json"), JSON.writerWithDefaultPrettyPrinter()
                        .writeValueAsString(json), StandardCharsets.UTF_8);
                return result.completed ? 0 : 1;
            }
        }
    }

    private Configuration configuration() {
        Configuration conf = Files.exists(confDir.resolve("config.yaml"))
                ? GlobalConfiguration.loadConfiguration(confDir.toString())
                : new Configuration();
        conf.set(SonaOptions.EMBEDDING_DIMENSION, dimension);
        conf.set(SonaOptions.FEEDBACK_HOLD, BENCH_FEEDBACK_HOLD);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval);
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, out.resolve("checkpoints").toAbsolutePath().toUri().toString());
        conf.set(RestOptions.PORT, KafkaBrokerProcess.freePort(8081));
        // the REST API's metrics are this fresh: the rate is read from them every second
        conf.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
        conf.addAll(Configuration.fromMap(settings.settings()));
        return conf;
    }

    private record Produced(long trajectories, long corrections, long queries, double seconds) {
        long inputs() {
            return trajectories + corrections;
        }

        Produced plus(Produced more) {
            return new Produced(trajectories + more.trajectories, corrections + more.corrections,
                    queries + more.queries, seconds + more.seconds);
        }
    }

    /**
     * Produces trajectories {@code from} to {@code to} (exclusive) of the workload, each followed by
     * its correction and query when it has them: at full speed ({@code perSecond} 0) or paced.
     */
    private static Produced produce(BenchWorkload workload, Properties client, Configuration conf, long from,
            long to, double perSecond) throws IOException {
        String trajectories = conf.get(SonaOptions.TOPIC_TRAJECTORIES);
        String signals = conf.get(SonaOptions.TOPIC_SIGNALS);
        String queries = conf.get(SonaOptions.TOPIC_QUERIES);
        long corrections = 0;
        long queried = 0;
        DeliveryCheck delivery = new DeliveryCheck();
        long started = System.nanoTime();
        // batches for the backlog; a paced producer sends at once, so latency is the job's
        try (KafkaProducer<byte[], byte[]> producer = WorkloadProducer.open(client, perSecond > 0 ? 0 : 20)) {
            for (long i = from; i < to; i++) {
                if (perSecond > 0) {
                    long due = started + (long) ((i - from) * 1e9 / perSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                producer.send(new ProducerRecord<>(trajectories, workload.trajectory(i)), delivery);
                if (workload.corrected(i)) {
                    producer.send(new ProducerRecord<>(signals, workload.correction(i)), delivery);
                    corrections++;
                }
                if (workload.queried(i)) {
                    producer.send(new ProducerRecord<>(queries, workload.query(i)), delivery);
                    queried++;
                }
            }
            producer.flush();
            delivery.check((to - from) + corrections + queried);
        }
        return new Produced(to - from, corrections, queried, (System.nanoTime() - started) / 1e9);
    }

    private Result runJob(BenchWorkload.Spec spec, BenchWorkload workload, Configuration conf, Admin admin,
            Properties client, Produced backlog) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
        SonaJob.build(env, conf);
        long submitted = System.nanoTime();
        JobClient job = env.executeAsync(SonaJob.JOB_NAME + " benchmark");
        JobRest rest = new JobRest("http://127.0.0.1:" + conf.get(RestOptions.PORT), job.getJobID().toString());
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long deadline = submitted + Duration.ofSeconds(maxSeconds).toNanos();
        Progress committed = new Progress(admin, conf.get(SonaOptions.KAFKA_GROUP_ID),
                List.of(conf.get(SonaOptions.TOPIC_TRAJECTORIES), conf.get(SonaOptions.TOPIC_SIGNALS)));
        BacklogSampler sampler = new BacklogSampler(rest, memory, submitted, backlog.trajectories);
        Polling.until(sampler::sampleUntilSettled, remaining(deadline), Duration.ofSeconds(1));
        List<double[]> series = sampler.series;
        double backlogReadAt = sampler.readAt;
        double backlogSettledAt = sampler.settledAt;
        Map<String, double[]> load = sampler.load;
        double sustained = sustained(series, backlog.trajectories);
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("trajectoriesPerSecond", sustained);
        facts.put("secondHalfTrajectoriesPerSecond", secondHalf(series, backlog.trajectories));
        facts.put("secondsToBacklogRead", backlogReadAt);
        facts.put("secondsToBacklogSettled", backlogSettledAt);
        facts.put("trajectoriesReadSeries", series);
        Map<String, String> busy = new LinkedHashMap<>();
        load.forEach((vertex, sum) -> busy.put(vertex, String.format(Locale.ROOT, "busy %.0f%%, back-pressured %.0f%%",
                sum[0] / Math.max(1, sum[2]) / 10, sum[1] / Math.max(1, sum[2]) / 10)));
        facts.put("backlogVertexLoad", busy);
        busy.forEach((vertex, text) -> System.out.println("  " + text + "  " + vertex));

        // Latency at a known load, in the steady state: the backlog has been read and settled (after
        // the feedback hold they all settle at once, a burst no steady stream has); now events
        // arrive at a steady rate.

        // The histograms hold each subtask's last LATENCY_WINDOW corrections: the phase goes on, in
        // steps, until every subtask has learned that many since it began (or time runs out), so
        // the percentiles are of this phase alone. With a warm-up, the phase's load runs that long
        // first and counts for nothing, so the JIT's compilations are behind it.
        double rate = latencyRate > 0 ? latencyRate : Math.max(100, 0.5 * (Double.isFinite(sustained) ? sustained : 0));
        long step = (long) (rate * 5);
        long from = spec.trajectories();
        Produced paced = new Produced(0, 0, 0, 0);
        boolean settled = !Double.isNaN(backlogSettledAt);
        long warmupEnd = System.nanoTime() + latencyWarmup.toNanos();
        while (settled && System.nanoTime() < warmupEnd) {
            paced = paced.plus(produce(workload, client, conf, from, from + step, rate));
            from += step;
        }
        Map<String, Double> before = rest.perSubtask(JobRest.GATE, AdapterGateFunction.METRIC_CORRECTIONS);
        if (settled) {
            long phaseEnd = System.nanoTime() + Duration.ofSeconds(latencySeconds).toNanos();
            do {
                paced = paced.plus(produce(workload, client, conf, from, from + step, rate));
                from += step;
            } while (System.nanoTime() < phaseEnd
                    && !everySubtaskLearned(before, rest.perSubtask(JobRest.GATE, AdapterGateFunction.METRIC_CORRECTIONS)));
        }
        facts.put("latencyWindowsFilled", settled && everySubtaskLearned(before,
                rest.perSubtask(JobRest.GATE, AdapterGateFunction.METRIC_CORRECTIONS)));
        facts.put("latencyPhaseTrajectoriesPerSecond", paced.trajectories / Math.max(1e-9, paced.seconds));
        facts.put("latencyPhaseSeconds", paced.seconds);
        facts.put("latencyWarmupSeconds", latencyWarmup.toSeconds());
        long inputs = backlog.inputs() + paced.inputs();
        boolean completed = Polling.until(() -> {
            sampler.heap();
            return committed.consumed() >= inputs;
        }, remaining(deadline), Duration.ofMillis(500));
        facts.put("completed", completed);
        // what the job keeps on the heap, garbage aside (the same JVM holds the producer's few buffers)
        System.gc();
        facts.put("liveHeapBytes", memory.getHeapMemoryUsage().getUsed());
        facts.putAll(rest.latencies(JobRest.JOIN, FeedbackJoinFunction.METRIC_SIGNAL_ARRIVAL));
        facts.putAll(rest.latencies(JobRest.GATE, AdapterGateFunction.METRIC_CORRECTION_TO_UPDATE,
                AdapterGateFunction.METRIC_CORRECTION_TO_PUBLISHED));
        facts.putAll(rest.latencies(JobRest.INFERENCE, InferenceOperator.METRIC_QUERY_LATENCY,
                InferenceOperator.METRIC_SWAP_LATENCY, InferenceOperator.METRIC_INSTALL_LATENCY));
        facts.putAll(rest.checkpoints());
        if (facts.get("checkpointStepsMs") instanceof Map<?, ?> steps) {
            steps.forEach((vertex, ms) -> System.out.println("  checkpoints, oldest first, longest (ms): " + ms + "  " + vertex));
        }
        facts.put("maxHeapUsedBytes", sampler.maxHeap);
        Object stateSize = facts.get("checkpointFullStateBytesMax");
        if (stateSize instanceof Number n) {
            facts.put("stateBytesPerKey", n.doubleValue() / spec.keys());
        }
        job.cancel().get();
        return new Result(completed, facts);
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    /**
     * What the benchmark watches while the job works through the backlog, once a second: the
     * trajectories read and settled, each vertex's load, the heap.
     */
    private static final class BacklogSampler {
        private final JobRest rest;
        private final MemoryMXBean memory;
        private final long submitted;
        private final long trajectories;
        /** Seconds since submission, trajectories read, trajectories settled. */
        final List<double[]> series = new ArrayList<>();
        /** Vertex name: busy and back-pressured ms/s summed, and the number of samples. */
        final Map<String, double[]> load = new LinkedHashMap<>();
        double readAt = Double.NaN;
        double settledAt = Double.NaN;
        long maxHeap;

        BacklogSampler(JobRest rest, MemoryMXBean memory, long submitted, long trajectories) {
            this.rest = rest;
            this.memory = memory;
            this.submitted = submitted;
            this.trajectories = trajectories;
        }

        void heap() {
            maxHeap = Math.max(maxHeap, memory.getHeapMemoryUsage().getUsed());
        }

        /** Takes one sample; true once the background loop has seen every trajectory of the backlog. */
        boolean sampleUntilSettled() throws Exception {
            double t = (System.nanoTime() - submitted) / 1e9;
            long read = rest.sourceRecords(JobRest.SOURCE_TRAJECTORIES);
            // every trajectory is stored by the join and read back when it settles: the job has
            // done a trajectory's work once the background loop has seen it
            long settled = rest.sum(JobRest.BACKGROUND, BackgroundLoopOperator.SETTLED_COUNTER);
            series.add(new double[] {t, read, settled});
            if (read > 0) {
                rest.load().forEach((vertex, v) -> {
                    double[] sum = load.computeIfAbsent(vertex, k -> new double[3]);
                    if (Double.isFinite(v[0]) && Double.isFinite(v[1])) {
                        sum[0] += v[0];
                        sum[1] += v[1];
                        sum[2]++;
                    }
                });
            }
            heap();
            if (read >= trajectories && Double.isNaN(readAt)) {
                readAt = t;
            }
            if (settled >= trajectories) {
                settledAt = t;
            }
            return !Double.isNaN(settledAt);
        }
    }

    /** Whether every gate subtask with keys learned a whole latency window of corrections since {@code before}. */
    private static boolean everySubtaskLearned(Map<String, Double> before, Map<String, Double> now) {
        for (Map.Entry<String, Double> e : now.entrySet()) {
            double learned = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (e.getValue() > 0 && learned < AdapterGateFunction.LATENCY_WINDOW) {
                return false;
            }
        }
        return true;
    }

    /**
     * Trajectories per second the job sustained: from the first second it read anything to the
     * second the background loop had seen them all (each settled after the hold, so the hold
     * should be short against the run: the benchmark's default is 2 s), start-up excluded.
     */
    static double sustained(List<double[]> series, long total) {
        double start = Double.NaN;
        for (double[] point : series) {
            if (Double.isNaN(start) && point[1] > 0) {
                start = point[0] - 1; // it began reading within the second before
            }
            if (!Double.isNaN(start) && point[2] >= total) {
                return total / (point[0] - start);
            }
        }
        return Double.NaN;
    }

    /**
     * Trajectories per second while the second half of the backlog settled: the rate once the JIT,
     * the state backend and the fetchers have warmed up (on two cores, compiling the job's code
     * takes about a third of the CPU of a run of a few hundred thousand trajectories).
     */
    static double secondHalf(List<double[]> series, long total) {
        double half = settledAt(series, total / 2.0);
        double all = settledAt(series, total);
        return all > half ? (total - total / 2.0) / (all - half) : Double.NaN;
    }

    /** When {@code count} trajectories had settled, interpolated between samples. */
    private static double settledAt(List<double[]> series, double count) {
        double[] previous = null;
        for (double[] point : series) {
            if (point[2] >= count) {
                if (previous == null || point[2] == previous[2]) {
                    return point[0];
                }
                return previous[0] + (point[0] - previous[0]) * (count - previous[2]) / (point[2] - previous[2]);
            }
            previous = point;
        }
        return Double.NaN;
    }

    private record Result(boolean completed, Map<String, Object> facts) {
        String line(BenchWorkload.Spec spec) {
            return String.format(Locale.ROOT, "sona-bench keys %d x %d trajectories, d %d: %s trajectories/s sustained (second half %s); "
                            + "at %s trajectories/s: signal -> join p50 %s ms p99 %s ms; correction -> MicroLoRA p50 %s ms p99 %s ms, -> published p99 "
                            + "%s ms; query p99 %s ms, swap p99 %s ms (installed p99 %s ms); checkpoints %s ms (max %s ms), %s bytes; heap max"
                            + " %s MB, live %s MB; state %s bytes/key%s",
                    spec.keys(), spec.trajectoriesPerKey(), spec.dimension(), num(facts.get("trajectoriesPerSecond")),
                    num(facts.get("secondHalfTrajectoriesPerSecond")),
                    num(facts.get("latencyPhaseTrajectoriesPerSecond")),
                    num(facts.get("signalArrivalMsP50")), num(facts.get("signalArrivalMsP99")),
                    num(facts.get("correctionToUpdateMsP50")),
                    num(facts.get("correctionToUpdateMsP99")), num(facts.get("correctionToPublishedMsP99")),
                    num(facts.get("queryLatencyMsP99")), num(facts.get("swapLatencyMsP99")),
                    num(facts.get("installLatencyMsP99")),
                    num(facts.get("checkpointDurationMsP50")), num(facts.get("checkpointDurationMsMax")),
                    num(facts.get("checkpointFullStateBytesMax")),
                    num(((Number) facts.get("maxHeapUsedBytes")).doubleValue() / (1 << 20)),
                    num(((Number) facts.get("liveHeapBytes")).doubleValue() / (1 << 20)),
                    num(facts.get("stateBytesPerKey")), completed ? "" : " (did not finish)")
                    + (Boolean.TRUE.equals(facts.get("latencyWindowsFilled")) ? ""
                            : " (the latency phase ended before every gate subtask learned a full histogram window:"
                                    + " its correction latencies still include the backlog's)");
        }

        private static String num(Object v) {
            return v instanceof Number n && Double.isFinite(n.doubleValue())
                    ? String.format(Locale.ROOT, "%.0f", n.doubleValue()) : "-";
        }
    }

    /** The job's consumer group's committed offsets on the input topics. */
    private record Progress(Admin admin, String group, List<String> topics) {
        long consumed() throws Exception {
            long sum = 0;
            for (var e : admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()) {
                if (topics.contains(e.getKey().topic()) && e.getValue() != null) {
                    sum += e.getValue().offset();
                }
            }
            return sum;
        }
    }
}
