package io.sonaflink.jobs;

import io.sonaflink.connectors.files.JsonLinesSink;
import io.sonaflink.connectors.files.RawLineFormat;
import io.sonaflink.connectors.json.OutputJson;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.jobs.workload.WorkloadGenerator;
import io.sonaflink.jobs.workload.WorkloadSpec;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.RawRecord;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the job on a local MiniCluster (RocksDB, checkpoints) over the built-in workload, or over
 * JSON-lines files of trajectories and signals (replaying recorded traffic, which is also how a
 * new deployment is backfilled), and writes every output as JSON lines to a folder, with a short
 * summary.
 *
 * <pre>
 * LocalRun [--trajectories FILE --signals FILE] [--out DIR] [--conf DIR]
 *          [--keys N] [--events N] [--set key=value]...
 * </pre>
 */
public final class LocalRun {

    private LocalRun() {}

    public static void main(String[] args) throws Exception {
        Arguments a = new Arguments();
        if (!CommandLines.parse(a, args)) {
            return;
        }
        if (a.signals != null && a.trajectories == null) {
            System.err.println("sona-local --trajectories: --signals needs --trajectories");
            System.exit(CommandLines.USAGE_ERROR);
        }
        Configuration conf = Files.exists(a.confDir.resolve("config.yaml"))
                ? GlobalConfiguration.loadConfiguration(a.confDir.toString())
                : new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, a.out.resolve("checkpoints").toUri().toString());
        conf.addAll(Configuration.fromMap(a.settings.settings()));

        Files.createDirectories(a.out);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        DataStream<RawRecord> trajectoryRecords;
        DataStream<RawRecord> signalRecords;
        long trajectoryCount;
        long signalCount;
        if (a.trajectories != null) {
            int maxLine = conf.get(SonaOptions.MAX_PAYLOAD_BYTES) + 1; // one more: the parser sees it is too long
            trajectoryRecords = lines(env, a.trajectories, "trajectories", maxLine);
            signalRecords = a.signals == null ? EmptyInputs.none(env, "signals")
                    : lines(env, a.signals, "signals", maxLine);
            trajectoryCount = countLines(a.trajectories);
            signalCount = a.signals == null ? 0 : countLines(a.signals);
        } else {
            WorkloadSpec spec = WorkloadSpec.DEFAULT
                    .withDimension(conf.get(SonaOptions.EMBEDDING_DIMENSION))
                    .withTrajectoriesPerKey(a.events);
            spec = new WorkloadSpec(a.keys, spec.trajectoriesPerKey(), spec.dimension(), spec.clustersPerKey(),
                    spec.routes(), spec.correctionRate(), spec.malformedRate(), spec.taskSwitchAt(), spec.seed());
            Workload workload = WorkloadGenerator.generate(spec);
            List<RawRecord> trajectories = records(workload.trajectories(), "workload-trajectories");
            List<RawRecord> signals = records(workload.signals(), "workload-signals");
            trajectoryRecords = env.fromData(trajectories, EventCodecs.RAW_RECORD).name("trajectories")
                    .uid("sona.source.trajectories");
            signalRecords = signals.isEmpty() ? EmptyInputs.none(env, "signals")
                    : env.fromData(signals, EventCodecs.RAW_RECORD).name("signals").uid("sona.source.signals");
            trajectoryCount = trajectories.size();
            signalCount = signals.size();
        }

        int maxRawBytes = conf.get(SonaOptions.DEAD_LETTER_MAX_RAW_BYTES);
        SonaPipeline.build(
                trajectoryRecords,
                signalRecords,
                EmptyInputs.none(env, "control"),
                EmptyInputs.none(env, "queries"),
                new SonaSinks(
                        new JsonLinesSink<>(a.out, "adapter-updates", OutputJson::adapterUpdate),
                        new JsonLinesSink<>(a.out, "pattern-snapshots", OutputJson::patternSnapshot),
                        new JsonLinesSink<>(a.out, "skill-maps", OutputJson::skillMap),
                        new JsonLinesSink<DeadLetter>(a.out, "dead-letters", d -> OutputJson.deadLetter(d, maxRawBytes)),
                        new JsonLinesSink<>(a.out, "gate-decisions", OutputJson::gateDecision),
                        new JsonLinesSink<>(a.out, "responses", OutputJson::response)),
                conf);
        long started = System.nanoTime();
        env.execute("sona-flink local run");
        double seconds = (System.nanoTime() - started) / 1e9;

        String summary = RunSummary.of(a.out, trajectoryCount, signalCount, seconds);
        Files.writeString(a.out.resolve("summary.txt"), summary);
        System.out.println(summary);
    }

    /**
     * A file's lines streamed as raw records (any size in bounded heap; bytes undecoded, so that
     * invalid UTF-8 and empty lines become dead letters, as over Kafka), in file order.
     */
    private static DataStream<RawRecord> lines(StreamExecutionEnvironment env, Path file, String name, int maxLine) {
        FileSource<RawRecord> source = FileSource.forRecordStreamFormat(
                new RawLineFormat(file.getFileName().toString(), maxLine),
                org.apache.flink.core.fs.Path.fromLocalFile(file.toAbsolutePath().toFile())).build();
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), name)
                .uid(SonaPipeline.UID_PREFIX + "source." + name);
    }

    /** Lines in {@code file} (a last line without a line end counts), counted without decoding it. */
    private static long countLines(Path file) throws IOException {
        long lines = 0;
        int last = '\n';
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
                last = buffer[n - 1];
            }
        }
        return last == '\n' ? lines : lines + 1;
    }

    private static List<RawRecord> records(List<byte[]> lines, String source) {
        List<RawRecord> records = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            records.add(new RawRecord(lines.get(i), source, -1, i + 1));
        }
        return records;
    }

    /** The file replay's {@code --help}. */
    public static String usage() {
        return CommandLines.usage(new Arguments());
    }

    /** Command-line arguments. */
    @Command(name = "sona-local --trajectories", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Runs the job on a local MiniCluster over JSON-lines files (or the built-in workload) and"
                    + " writes every output as JSON lines to a folder, with a summary.")
    static final class Arguments {
        @Option(names = "--trajectories", description = "Trajectories, one JSON object per line.")
        Path trajectories;
        @Option(names = "--signals", description = "Training signals, one JSON object per line (optional).")
        Path signals;
        @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
        Path out = Paths.get("out");
        @Option(names = "--conf", description = "Folder of config.yaml (default: ${DEFAULT-VALUE}).")
        Path confDir = Paths.get("conf");
        @Option(names = "--keys", description = "Keys of the built-in workload, without files (default: ${DEFAULT-VALUE}).")
        int keys = WorkloadSpec.DEFAULT.keys();
        @Option(names = "--events", description = "Trajectories per key of the built-in workload (default: ${DEFAULT-VALUE}).")
        int events = WorkloadSpec.DEFAULT.trajectoriesPerKey();
        @Mixin
        final SettingsOption settings = new SettingsOption();
    }
}
