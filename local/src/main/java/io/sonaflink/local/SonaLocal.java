package io.sonaflink.local;

import io.sonaflink.connectors.registry.AdapterManifest;
import io.sonaflink.connectors.registry.AdapterRegistryReader;
import io.sonaflink.jobs.CommandLines;
import io.sonaflink.jobs.SonaJob;
import io.sonaflink.jobs.SettingsOption;
import io.sonaflink.jobs.SonaOptions;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.jobs.workload.WorkloadGenerator;
import io.sonaflink.jobs.workload.WorkloadSpec;
import io.sonaflink.operators.background.BackgroundLoopOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The one-command local run: a real Kafka broker (or an existing one), the job on a local Flink
 * MiniCluster with RocksDB and exactly-once checkpoints, a producer replaying the built-in
 * workload through Kafka, a live progress line, and a learning report at the end.
 *
 * <pre>
 * SonaLocal [--keys N] [--events N] [--rate EVENTS_PER_S] [--max-seconds S] [--out DIR] [--conf DIR]
 *           [--bootstrap-servers HOST:PORT] [--kafka-port PORT] [--set key=value]... [--check]
 * </pre>
 */
public final class SonaLocal {

    /** How often the job commits its outputs in a local run: what the progress line can see. */
    static final Duration LOCAL_CHECKPOINT_INTERVAL = Duration.ofSeconds(2);
    /** Background window of a local run, so that each task of the workload spans several learning cycles. */
    static final Duration LOCAL_BACKGROUND_INTERVAL = Duration.ofSeconds(2);
    /**
     * Step sizes for the workload's unit-norm embeddings and its minute of traffic: the defaults
     * (the seed's) are sized for hours of traffic per window; these let each task be learned in
     * a few windows and MicroLoRA move within a few hundred corrections.
     */
    static final float LOCAL_MICRO_LEARNING_RATE = 0.05f;
    static final float LOCAL_BASE_LEARNING_RATE = 0.005f;
    /** A MicroLoRA candidate every 10 corrections, so the instant loop is judged between two 2 s cycles. */
    static final int LOCAL_MICRO_PUBLISH_EVERY = 10;

    /** A serving fleet's feedback arrives within seconds; the default hold is sized for humans. */
    static final Duration LOCAL_FEEDBACK_HOLD = Duration.ofSeconds(10);

    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);


    private static final ObjectMapper JSON = new ObjectMapper();

    private SonaLocal() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true"); // the report's charts are drawn without a display
        Arguments arguments = new Arguments();
        if (!CommandLines.parse(arguments, args)) {
            System.exit(0);
        }
        int status;
        try {
            status = run(arguments);
        } catch (Throwable t) {
            LoggerFactory.getLogger(SonaLocal.class).error("the local run failed", t);
            t.printStackTrace();
            status = 1;
        }
        // the MiniCluster's threads would keep the JVM alive after a failure
        System.exit(status);
    }

    static int run(Arguments a) throws Exception {
        Configuration conf = configuration(a);
        Files.createDirectories(a.out);
        // The job starts without state, so its versions start at 1 again: a registry left by an
        // earlier run would keep that run's files for them.
        deleteRecursively(a.out.resolve("registry"));
        KafkaBrokerProcess broker = null;
        StopSignal stop = StopSignal.install();
        try {
            if (a.bootstrapServers == null) {
                Path data = a.out.resolve("kafka");
                deleteRecursively(data); // a fresh broker per run: the workload is replayed from the start
                System.out.println("starting a Kafka broker (KRaft, 127.0.0.1) with its data in " + data);
                broker = KafkaBrokerProcess.start(data, a.kafkaPort);
                conf.set(SonaOptions.KAFKA_BOOTSTRAP_SERVERS, broker.bootstrapServers());
            } else {
                conf.set(SonaOptions.KAFKA_BOOTSTRAP_SERVERS, a.bootstrapServers);
            }
            int status = runJob(a, conf, stop);
            return stop.requested() ? stop.exitStatus() : status;
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    private static int runJob(Arguments a, Configuration conf, StopSignal stop) throws Exception {
        Properties client = SonaOptions.kafkaClientProperties(conf);
        client.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, conf.get(SonaOptions.KAFKA_BOOTSTRAP_SERVERS));
        String trajectoryTopic = conf.get(SonaOptions.TOPIC_TRAJECTORIES);
        String signalTopic = conf.get(SonaOptions.TOPIC_SIGNALS);
        OutputWatcher.OutputTopics outputs = new OutputWatcher.OutputTopics(
                conf.get(SonaOptions.TOPIC_ADAPTER_UPDATES), conf.get(SonaOptions.TOPIC_PATTERN_SNAPSHOTS),
                conf.get(SonaOptions.TOPIC_SKILL_MAPS), conf.get(SonaOptions.TOPIC_DEAD_LETTERS),
                conf.get(SonaOptions.TOPIC_GATE_DECISIONS), conf.get(SonaOptions.TOPIC_RESPONSES));

        WorkloadSpec spec = new WorkloadSpec(a.keys, a.events, conf.get(SonaOptions.EMBEDDING_DIMENSION),
                WorkloadSpec.DEFAULT.clustersPerKey(), WorkloadSpec.DEFAULT.routes(),
                WorkloadSpec.DEFAULT.correctionRate(), WorkloadSpec.DEFAULT.malformedRate(),
                WorkloadSpec.DEFAULT.taskSwitchAt(), WorkloadSpec.DEFAULT.seed());
        Workload workload = WorkloadGenerator.generate(spec);
        long events = workload.trajectories().size() + workload.signals().size();
        LearningProbe probe = new LearningProbe(workload.probes(), SonaOptions.routeAdvisor(conf));

        try (Admin admin = Admin.create(client)) {
            createMissingTopics(admin, SonaOptions.topics(conf), conf.get(SonaOptions.KAFKA_PARTITIONS));

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
            SonaJob.build(env, conf);
            JobClient job = env.executeAsync(SonaJob.JOB_NAME + " local run");
            String webUi = "http://127.0.0.1:" + conf.get(RestOptions.PORT);
            System.out.printf(Locale.ROOT, "job %s submitted; Flink web UI: %s%n", job.getJobID(), webUi);
            // Events sent before every task runs would pile up, and the feedback join would see a
            // burst instead of a stream.
            awaitAllTasksRunning(webUi, job, Duration.ofMinutes(2));
            JobRest rest = new JobRest(webUi, job.getJobID().toString());
            System.out.printf(Locale.ROOT, "replaying %d events (%d keys, %d trajectories each) into %s at %s%n",
                    events, spec.keys(), spec.trajectoriesPerKey(), conf.get(SonaOptions.KAFKA_BOOTSTRAP_SERVERS),
                    a.rate > 0 ? String.format(Locale.ROOT, "%.0f events/s", a.rate) : "full speed");

            List<LearningReport.Point> points = new ArrayList<>();
            InputProgress inputProgress = new InputProgress(admin, conf.get(SonaOptions.KAFKA_GROUP_ID),
                    List.of(trajectoryTopic, signalTopic));
            WorkloadReplay replay = new WorkloadReplay(workload, client, trajectoryTopic, signalTopic,
                    conf.get(SonaOptions.TOPIC_QUERIES), true, a.rate);
            Thread producer = new Thread(replay, "workload-replay");
            boolean completed;
            long started = System.nanoTime();
            try (OutputWatcher watcher = new OutputWatcher(client, outputs, workload.probes())) {
                producer.start();
                Progress progress = new Progress(System.console() != null, rest, events);
                long deadline = started + TimeUnit.SECONDS.toNanos(a.maxSeconds);
                Settling settling = null;
                boolean serving = false;
                double taskSwitchSeconds = Double.NaN;
                completed = false;
                while (true) {
                    stop.awaitRequest(PROGRESS_EVERY);
                    InputProgress.Offsets offsets = inputProgress.read();
                    LearningReport.Point point = point(started, offsets, watcher.snapshot(), probe);
                    points.add(point);
                    if (Double.isNaN(taskSwitchSeconds) && replay.trajectoriesSent() > spec.firstSecondTaskTrajectory()) {
                        taskSwitchSeconds = point.seconds();
                    }
                    progress.print(point, watcher.snapshot(), replay,
                            serving ? "serving" : completed ? "learning the last trajectories" : "");
                    if (replay.failure() != null) {
                        throw new IOException("producing the workload failed", replay.failure());
                    }
                    if (!completed && replay.workloadSent() && offsets.consumed() >= events && offsets.lag() == 0) {
                        completed = true;
                        settling = new Settling(rest, workload.trajectories().size() - workload.malformedTrajectories(),
                                conf.get(SonaOptions.FEEDBACK_HOLD), conf.get(SonaOptions.BACKGROUND_INTERVAL));
                        progress.end();
                        System.out.println("all events consumed; waiting for the feedback hold ("
                                + conf.get(SonaOptions.FEEDBACK_HOLD).toSeconds() + " s) to settle the last "
                                + "trajectories and the background loop to learn them");
                    }
                    if (completed && !serving && settling.learned()) {
                        if (!a.serve) {
                            break;
                        }
                        serving = true;
                        replay.stop(); // no more probe queries: the responses are now to what you send
                        progress.end();
                        System.out.println("serving until Ctrl-C: Kafka at " + conf.get(SonaOptions.KAFKA_BOOTSTRAP_SERVERS)
                                + " (bin/sona-kafka produce|consume TOPIC), Flink web UI at " + webUi);
                    }
                    if (stop.requested() || (!serving && System.nanoTime() > deadline)) {
                        break;
                    }
                }
                progress.end();
                replay.stop();
                producer.join();
                if (completed) {
                    awaitQueriesConsumed(new InputProgress(admin, conf.get(SonaOptions.KAFKA_GROUP_ID),
                            List.of(conf.get(SonaOptions.TOPIC_QUERIES))), Duration.ofSeconds(60));
                }
                // Draining fires the last background window and commits every output with the savepoint;
                // a stop asked for keeps the job's windows open for a later run from the savepoint.
                boolean drain = completed && !stop.requested();
                Path savepoints = a.out.resolve("savepoints").toAbsolutePath();
                System.out.println((drain ? "draining" : "stopping") + " the job with a savepoint in " + savepoints);
                String savepoint = job.stopWithSavepoint(drain, savepoints.toUri().toString(),
                        SavepointFormatType.CANONICAL).get(2, TimeUnit.MINUTES);
                System.out.println("savepoint: " + savepoint);
                watcher.catchUp(Duration.ofSeconds(30));
                InputProgress.Offsets offsets = inputProgress.read();
                points.add(point(started, offsets, watcher.snapshot(), probe));

                OutputWatcher.Snapshot last = watcher.snapshot();
                List<AdapterManifest> registry = AdapterRegistryReader.manifests(conf.get(SonaOptions.REGISTRY_URI));
                String summary = summary(spec, workload, points, last, completed, savepoint)
                        + registrySummary(conf.get(SonaOptions.REGISTRY_URI), registry, last);
                Map<String, Object> facts = new LinkedHashMap<>();
                facts.put("completed", completed);
                facts.put("events", events);
                facts.put("queries", replay.queriesSent());
                facts.put("malformed", workload.malformedTrajectories() + workload.malformedSignals());
                facts.put("savepoint", savepoint);
                facts.put("versions", last.versions());
                facts.put("deadLetterReasons", last.deadLetterReasons());
                facts.put("gateDecisions", last.gateDecisions());
                facts.put("registry", LearningCheck.registryChampions(registry));
                facts.put("responseLatency", last.responseLatency());
                facts.put("responseWrittenLatency", last.responseWritten());
                LearningReport.write(a.out, summary, points, new LearningReport.Context(taskSwitchSeconds,
                        last.deadLetterReasons(), last.versions(), last.gateDecisions()), facts);
                System.out.print(summary);
                System.out.println("report: " + a.out.resolve("report.html").toAbsolutePath());
                if (a.check) {
                    List<String> problems = LearningCheck.problems(workload, last, points, completed,
                            replay.queriesSent());
                    problems.addAll(LearningCheck.registryProblems(registry, last));
                    problems.forEach(p -> System.out.println("CHECK FAILED: " + p));
                    return problems.isEmpty() ? 0 : 1;
                }
                return 0;
            }
        }
    }

    private static LearningReport.Point point(long started, InputProgress.Offsets offsets,
            OutputWatcher.Snapshot outputs, LearningProbe probe) {
        long versions = outputs.versions().values().stream()
                .flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
        long bases = outputs.versions().values().stream().mapToLong(m -> m.getOrDefault("base", 0L)).sum();
        return new LearningReport.Point((System.nanoTime() - started) / 1e9, offsets.consumed(), offsets.lag(),
                probe.measure(outputs), outputs.patterns(), versions, bases, outputs.deadLetters(),
                outputs.responses(), outputs.servedHitRate(), outputs.taskBoundaries());
    }

    /**
     * Seconds into the run when the last event consumed had been committed: the rate of the run,
     * without the wait for the feedback hold and the last background cycle that follows it.
     */
    static double consumedAt(List<LearningReport.Point> points) {
        long total = points.get(points.size() - 1).eventsConsumed();
        return points.stream().filter(p -> p.eventsConsumed() >= total).findFirst().orElseThrow().seconds();
    }

    static String summary(WorkloadSpec spec, Workload workload, List<LearningReport.Point> points,
            OutputWatcher.Snapshot outputs, boolean completed, String savepoint) {
        LearningReport.Point last = points.get(points.size() - 1);
        LearningProbe.Measures m = last.measures();
        StringBuilder s = new StringBuilder();
        double consumedAt = consumedAt(points);
        s.append(String.format(Locale.ROOT, "sona-flink local run: %d events consumed in %.1f s (%.0f events/s)%s%n",
                last.eventsConsumed(), consumedAt, last.eventsConsumed() / Math.max(1e-9, consumedAt),
                completed ? "" : ", stopped before the end of the workload"));
        s.append(String.format(Locale.ROOT, "workload: %d keys x %d trajectories, %d signals, %d malformed lines%n",
                spec.keys(), spec.trajectoriesPerKey(), workload.signals().size(),
                workload.malformedTrajectories() + workload.malformedSignals()));
        s.append(String.format(Locale.ROOT, "held-out loss (mean over keys)   %10s %10s %10s %10s%n",
                "served", "base", "micro", "no adapter"));
        for (int task = 0; task < 2; task++) {
            LearningProbe.TaskLoss t = task == 0 ? m.firstTask() : m.secondTask();
            s.append(String.format(Locale.ROOT, "  %-30s %10.5f %10.5f %10.5f %10.5f  (served %.1f %% better than none)%n",
                    task == 0 ? "first task" : "second (current) task", t.served(), t.base(), t.micro(), t.identity(),
                    100 * t.quality()));
        }
        s.append(String.format(Locale.ROOT, "first task kept %.1f %% of its best improvement (%.1f %%); EWC++ task "
                        + "boundaries seen by the gate: %d%n", 100 * LearningCheck.firstTaskKept(points),
                100 * LearningCheck.bestFirstTaskQuality(points), last.taskBoundaries()));
        s.append(String.format(Locale.ROOT, "pattern hit rate: %.1f %%, best route among hits: %.1f %%, patterns: %d%n",
                100 * m.hitRate(), 100 * m.routeAccuracy(), last.patterns()));
        s.append(String.format(Locale.ROOT, "served: %d responses; over the last %d, hit rate %.1f %%, best route"
                        + " among hits %.1f %%%n", outputs.responses(), OutputWatcher.SERVED_WINDOW,
                100 * outputs.servedHitRate(), 100 * outputs.servedRouteAccuracy()));
        OutputWatcher.ResponseLatency latency = outputs.responseLatency();
        OutputWatcher.ResponseLatency written = outputs.responseWritten();
        s.append(String.format(Locale.ROOT, "query sent -> response readable: p50 %.0f ms, p99 %.0f ms (last %d);"
                        + " -> response written by the job: p50 %.0f ms, p99 %.0f ms%n",
                latency.p50Ms(), latency.p99Ms(), latency.responses(), written.p50Ms(), written.p99Ms()));
        s.append("adapter versions (newest published):").append(System.lineSeparator());
        outputs.versions().forEach((key, kinds) -> s.append(String.format(Locale.ROOT, "  %s: base v%d, micro v%d%n",
                key, kinds.getOrDefault("base", 0L), kinds.getOrDefault("micro", 0L))));
        s.append("gate decisions: ").append(outputs.gateDecisions().entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey()).collect(java.util.stream.Collectors.joining(", ")))
                .append(System.lineSeparator());
        s.append("dead letters: ").append(outputs.deadLetters()).append(outputs.deadLetters() > 0 ? ", by kind:" : "")
                .append(System.lineSeparator());
        outputs.deadLetterReasons().forEach((kind, k) -> s.append(String.format(Locale.ROOT, "  %5d  %s%s%n",
                k.count(), kind, k.fields().isEmpty() ? "" : " (" + String.join(", ", k.fields()) + ")")));
        s.append("savepoint: ").append(savepoint).append(System.lineSeparator());
        return s.toString();
    }

    private static String registrySummary(String uri, List<AdapterManifest> registry, OutputWatcher.Snapshot outputs) {
        List<String> problems = LearningCheck.registryProblems(registry, outputs);
        return String.format(Locale.ROOT, "adapter registry: %d keys in %s; champions %s%n", registry.size(), uri,
                problems.isEmpty() ? "are the published versions" : "differ: " + problems);
    }

    private static Configuration configuration(Arguments a) {
        Configuration conf = Files.exists(a.confDir.resolve("config.yaml"))
                ? GlobalConfiguration.loadConfiguration(a.confDir.toString())
                : new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, LOCAL_CHECKPOINT_INTERVAL);
        conf.set(SonaOptions.BACKGROUND_INTERVAL, LOCAL_BACKGROUND_INTERVAL);
        conf.set(SonaOptions.FEEDBACK_HOLD, LOCAL_FEEDBACK_HOLD);
        conf.set(SonaOptions.MICRO_LEARNING_RATE, LOCAL_MICRO_LEARNING_RATE);
        conf.set(SonaOptions.BASE_LEARNING_RATE, LOCAL_BASE_LEARNING_RATE);
        conf.set(SonaOptions.MICRO_PUBLISH_EVERY, LOCAL_MICRO_PUBLISH_EVERY);
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, a.out.resolve("checkpoints").toAbsolutePath().toUri().toString());
        conf.set(RestOptions.PORT, KafkaBrokerProcess.freePort(8081));
        // the REST API's metrics are this fresh: the run reads when the background loop has learned
        conf.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
        conf.set(SonaOptions.REGISTRY_URI, a.out.resolve("registry").toAbsolutePath().toUri().toString());
        conf.addAll(Configuration.fromMap(a.settings.settings()));
        return conf;
    }

    /**
     * After the last event is consumed, the job still holds the last trajectories for the feedback
     * hold, and the background loop learns them only in its next cycles. Draining at once would
     * put all of them into one end-of-input cycle (sampled down to a window's capacity), so what a
     * run reports for the current task would depend on where the drain fell. This waits until the
     * background loop has seen every trajectory and then for every key's window to end once more;
     * where its metrics do not get there, for the hold and two windows plus a margin.
     */
    private static final class Settling {
        private static final Duration MARGIN = Duration.ofSeconds(30);

        private final JobRest rest;
        private final long trajectories;
        private final long windowNanos;
        private final long giveUpAt;
        private long settledAt = -1;
        private long settled;

        Settling(JobRest rest, long trajectories, Duration hold, Duration interval) {
            this.rest = rest;
            this.trajectories = trajectories;
            this.windowNanos = interval.toNanos();
            this.giveUpAt = System.nanoTime() + hold.plus(interval.multipliedBy(2)).plus(MARGIN).toNanos();
        }

        boolean learned() throws Exception {
            long now = System.nanoTime();
            if (settledAt < 0) {
                settled = rest.sum(JobRest.BACKGROUND, BackgroundLoopOperator.SETTLED_COUNTER);
                if (settled >= trajectories) {
                    settledAt = now;
                }
            }
            if (settledAt < 0 && now > giveUpAt) {
                System.out.printf(Locale.ROOT, "the background loop reported %d of %d trajectories settled; "
                        + "draining anyway%n", settled, trajectories);
                return true;
            }
            // each key's window ends within one interval of its last trajectory; a second covers its cycle
            return settledAt >= 0 && now - settledAt > 2 * windowNanos;
        }
    }

    /** Waits until the job has consumed (and checkpointed) every query sent, so that draining answers them all. */
    private static void awaitQueriesConsumed(InputProgress queries, Duration timeout) throws Exception {
        Polling.until(() -> queries.read().lag() == 0, timeout, Duration.ofMillis(200));
    }

    /** Polls the job's REST endpoint until every vertex of the job is RUNNING. */
    private static void awaitAllTasksRunning(String webUi, JobClient job, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        boolean running = Polling.until(() -> {
            if (allTasksRunning(http, webUi, job.getJobID().toString())) {
                return true;
            }
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                throw new IllegalStateException("the job ended before it ran: " + job.getJobStatus().get());
            }
            return false;
        }, timeout, Duration.ofMillis(200));
        if (!running) {
            throw new IllegalStateException("the job's tasks did not all start within " + timeout.toSeconds() + " s");
        }
    }

    /** Whether every vertex of the job is RUNNING, by the REST API at {@code webUi}. */
    static boolean allTasksRunning(HttpClient http, String webUi, String jobId) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(webUi + "/jobs/" + jobId)).GET().build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            return false;
        }
        JsonNode vertices = JSON.readTree(response.body()).path("vertices");
        boolean all = vertices.size() > 0;
        for (JsonNode v : vertices) {
            all &= "RUNNING".equals(v.path("status").asText());
        }
        return all;
    }

    static void createMissingTopics(Admin admin, List<String> topics, int partitions) throws Exception {
        Set<String> existing = admin.listTopics().names().get();
        int brokers = admin.describeCluster().nodes().get().size();
        List<NewTopic> missing = topics.stream().distinct().filter(t -> !existing.contains(t))
                .map(t -> new NewTopic(t, partitions, (short) Math.min(3, brokers))).toList();
        if (!missing.isEmpty()) {
            admin.createTopics(missing).all().get();
            List<String> names = missing.stream().map(NewTopic::name).toList();
            // a producer that writes before a new partition has a leader is refused and retries
            boolean led = Polling.until(() -> admin.describeTopics(names).allTopicNames().get().values().stream()
                    .allMatch(t -> t.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())),
                    Duration.ofSeconds(30), Duration.ofMillis(50));
            System.out.println("created topics " + names + (led ? "" : " (not all led by a broker within 30 s)"));
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The live progress line: rewritten in place on a terminal, one line every few seconds otherwise. */
    private static final class Progress {
        private static final int LOG_EVERY = 5;
        private final boolean terminal;
        private final ProgressLine line;
        private final JobRest rest;
        private final long total;
        private long lines;

        Progress(boolean terminal, JobRest rest, long total) {
            this.terminal = terminal;
            this.line = new ProgressLine(terminal
                    ? ProgressLine.terminalWidth(System.getenv("COLUMNS")) - 1 : Integer.MAX_VALUE / 2);
            this.rest = rest;
            this.total = total;
        }

        void print(LearningReport.Point p, OutputWatcher.Snapshot outputs, WorkloadReplay replay, String phase)
                throws Exception {
            long produced = replay.sent() - replay.queriesSent();
            // what the sources have read, live (committed offsets move only at checkpoints)
            long read = Math.min(total, rest.sourceRecords(JobRest.SOURCE_TRAJECTORIES) + rest.sourceRecords(JobRest.SOURCE_SIGNALS));
            long base = 0;
            long micro = 0;
            for (Map<String, Long> kinds : outputs.versions().values()) {
                base += kinds.getOrDefault("base", 0L);
                micro += kinds.getOrDefault("micro", 0L);
            }
            String text = line.format(new ProgressLine.Sample(p.seconds(), produced, read, total,
                    Math.max(0, produced - read), outputs.versions().size(), base, micro, p.deadLetters(),
                    p.servedHitRate(), phase));
            if (terminal) {
                System.out.print("\r" + text + "\u001b[K");
            } else if (lines++ % LOG_EVERY == 0) {
                System.out.println(text);
            }
        }

        void end() {
            if (terminal) {
                System.out.println();
            }
        }
    }

    /**
     * Ctrl-C (SIGINT) or SIGTERM asks the run to stop: it stops the job with a savepoint, writes the
     * report, stops the broker and exits with 128 + the signal's number. The signals are handled
     * here instead of by the JVM's default, which would start the shutdown hooks, Flink's among
     * them, and tear the MiniCluster down under the savepoint. A second signal exits at once.
     */
    private static final class StopSignal {
        private final CountDownLatch requested = new CountDownLatch(1);
        private volatile int signal;

        static StopSignal install() {
            StopSignal stop = new StopSignal();
            for (String name : List.of("INT", "TERM")) {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stop.request(s.getNumber()));
            }
            return stop;
        }

        private void request(int number) {
            if (requested()) {
                System.out.println(System.lineSeparator() + "stopping at once");
                System.exit(128 + number);
            }
            signal = number;
            System.out.println(System.lineSeparator() + "stopping: the job stops with a savepoint and the report is "
                    + "written (a second Ctrl-C quits at once)");
            requested.countDown();
        }

        boolean requested() {
            return requested.getCount() == 0;
        }

        int exitStatus() {
            return 128 + signal;
        }

        void awaitRequest(Duration timeout) throws InterruptedException {
            requested.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The local run's {@code --help}. */
    static String usage() {
        return CommandLines.usage(new Arguments());
    }

    /** Command-line arguments. */
    @Command(name = "sona-local", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Runs the job on a local Flink MiniCluster against a Kafka broker on 127.0.0.1 (started"
                    + " here unless --bootstrap-servers is given), replays the built-in workload, shows progress"
                    + " and writes a learning report. Ctrl-C stops it with a savepoint and still writes the report.",
                    "bin/sona-local --trajectories FILE [--signals FILE] replays JSON-lines files instead."})
    static final class Arguments {
        @Option(names = "--keys", description = "Adapter keys of the workload (default: ${DEFAULT-VALUE}).")
        int keys = WorkloadSpec.DEFAULT.keys();
        @Option(names = "--events", description = "Trajectories per key (default: ${DEFAULT-VALUE}).")
        int events = WorkloadSpec.DEFAULT.trajectoriesPerKey();
        @Option(names = "--rate", description = "Events per second produced; 0: full speed (default: ${DEFAULT-VALUE}).")
        double rate = 1_000;
        @Option(names = "--max-seconds", description = "Stops the run after this long (default: ${DEFAULT-VALUE}).")
        long maxSeconds = 600;
        @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
        Path out = Paths.get("out", "local");
        @Option(names = "--conf", description = "Folder of config.yaml (default: ${DEFAULT-VALUE}).")
        Path confDir = Paths.get("conf");
        @Option(names = "--bootstrap-servers", description = "Use this Kafka instead of starting a broker.")
        String bootstrapServers;
        @Option(names = "--kafka-port", description = "Port of the broker started here (default: a free one).")
        int kafkaPort;
        @Option(names = "--serve", description = "After the workload, keep the broker and the job running until "
                + "Ctrl-C, to produce to the topics meanwhile (bin/sona-kafka).")
        boolean serve;
        @Option(names = "--check", description = "Exit 1 unless the run learned what the workload plants.")
        boolean check;
        @Mixin
        final SettingsOption settings = new SettingsOption();

        /** The arguments, or a one-line usage error (exit status 2 in {@link #main}). */
        static Arguments parse(String[] args) {
            Arguments a = new Arguments();
            new CommandLine(a).parseArgs(args);
            return a;
        }
    }
}
