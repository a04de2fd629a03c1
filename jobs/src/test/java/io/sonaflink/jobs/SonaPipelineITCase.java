package io.sonaflink.jobs;

import io.sonaflink.connectors.registry.AdapterFiles;
import io.sonaflink.connectors.registry.AdapterManifest;
import io.sonaflink.connectors.registry.RegistryLayout;
import io.sonaflink.jobs.testing.CollectingSink;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.jobs.workload.WorkloadGenerator;
import io.sonaflink.jobs.workload.WorkloadSpec;
import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.SkillMap;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.feedback.SignalRouting;
import io.sonaflink.operators.parse.EventParser;
import io.sonaflink.operators.parse.ParseLimits;
import io.sonaflink.operators.parse.ParseResult;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.math.Vectors;
import io.sonaflink.state.serving.ServedModel;
import io.sonaflink.state.testing.Fixtures;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole graph on a MiniCluster with RocksDB and checkpoints, over a generated multi-key
 * stream (planted clusters, corrections with a task switch, about 1 % malformed lines): asserts
 * what was learned, that versions are monotonic, and that every input is accounted for.
 */
class SonaPipelineITCase {

    private static final int DIM = 32;
    private static final WorkloadSpec SPEC = new WorkloadSpec(3, 800, DIM, 5, 4, 0.3, 0.01, 0.5, 21L);

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @TempDir
    java.nio.file.Path registryDir;

    @Test
    void learnsPatternsAndAdaptersFromAGeneratedStream() throws Exception {
        Workload workload = WorkloadGenerator.generate(SPEC);
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(500));
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none"); // a failure fails the test, not a restart loop
        conf.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        conf.set(SonaOptions.EMBEDDING_DIMENSION, DIM);
        conf.set(SonaOptions.PATTERN_CLUSTERS, 10); // 5 clusters per task
        conf.set(SonaOptions.MICRO_LEARNING_RATE, 0.5f); // unit-norm embeddings: the default suits N(0, 1) coordinates
        conf.set(SonaOptions.MICRO_PUBLISH_EVERY, 20);
        conf.set(SonaOptions.REGISTRY_URI, registryDir.toUri().toString());
        conf.set(SonaOptions.REGISTRY_PEFT_BASE_MODEL, "org/model-32");
        conf.set(SonaOptions.REGISTRY_PEFT_MODULE_WIDTH, DIM);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        var updates = new CollectingSink<AdapterUpdate>("it-updates");
        var patterns = new CollectingSink<PatternSnapshot>("it-patterns");
        var skills = new CollectingSink<SkillMap>("it-skills");
        var deadLetters = new CollectingSink<DeadLetter>("it-dead-letters");
        var decisions = new CollectingSink<GateDecision>("it-decisions");
        SonaPipeline.build(
                env.fromData(records(workload.trajectories(), "trajectories"), EventCodecs.RAW_RECORD)
                        .uid("sona.source.trajectories"),
                env.fromData(records(workload.signals(), "signals"), EventCodecs.RAW_RECORD)
                        .uid("sona.source.signals"),
                EmptyInputs.none(env, "control"),
                EmptyInputs.none(env, "queries"),
                new SonaSinks(updates, patterns, skills, deadLetters, decisions, new CollectingSink<>("responses")),
                conf);
        env.execute("sona-pipeline-it");

        Parsed parsed = parse(workload);

        // Every malformed line is dead-lettered with a reason; so is every signal about one of them.
        List<DeadLetter> dead = deadLetters.results();
        assertThat(dead).allSatisfy(d -> assertThat(d.reason()).isNotBlank());
        assertThat(dead).filteredOn(d -> !d.source().equals(SignalRouting.UNMATCHED_SOURCE))
                .hasSize(workload.malformedTrajectories() + workload.malformedSignals());
        long orphanSignals = parsed.signals.stream()
                .filter(s -> !workload.clusterOf().containsKey(s.trajectoryId())).count();
        assertThat(dead).filteredOn(d -> d.source().equals(SignalRouting.UNMATCHED_SOURCE)).hasSize((int) orphanSignals);

        // Nothing else is lost: every well-formed trajectory reached the background loop, whose one
        // cycle per key (at the end of the bounded input) the gate judged, with the cycle's numbers.
        List<GateDecision> base = decisions.results().stream()
                .filter(d -> d.kind() == AdapterKind.BASE && d.metrics().containsKey(BackgroundLoopOperator.METRIC_CYCLE_SAMPLES))
                .toList();
        assertThat(base).hasSize(SPEC.keys());
        assertThat(base.stream().mapToDouble(d -> d.metrics().get(BackgroundLoopOperator.METRIC_CYCLE_SAMPLES)).sum())
                .isEqualTo(workload.clusterOf().size());
        assertThat(base).allSatisfy(d -> assertThat(d.metrics().get(BackgroundLoopOperator.METRIC_LOSS_AFTER))
                .isLessThan(d.metrics().get(BackgroundLoopOperator.METRIC_LOSS_BEFORE)));

        // Patterns recovered per key.
        assertThat(patterns.results()).hasSize(SPEC.keys());
        for (PatternSnapshot snapshot : patterns.results()) {
            String key = snapshot.key().asString();
            List<Trajectory> ofKey = parsed.trajectories.stream().filter(t -> t.key().asString().equals(key)).toList();
            int[] planted = new int[ofKey.size()];
            int[] found = new int[ofKey.size()];
            for (int i = 0; i < ofKey.size(); i++) {
                planted[i] = workload.clusterOf().get(ofKey.get(i).id());
                found[i] = nearestPattern(snapshot.patterns(), ofKey.get(i).embedding());
            }
            assertThat(Fixtures.adjustedRandIndex(planted, found)).as("ARI of %s", key).isGreaterThanOrEqualTo(0.95);
        }
        assertThat(skills.results()).hasSize(SPEC.keys());

        // Published versions are consecutive per key and kind, and what is served after the last
        // update (the last base and the MicroLoRA learned on it) fits the key's corrections better
        // than no adapter. This short bounded run releases every trajectory at the end of input, so
        // it learns both tasks mixed: the claim is about the corrections of both.
        assertThat(decisions.results()).allSatisfy(d -> assertThat(d.reason()).isNotBlank());
        Map<String, List<AdapterUpdate>> byKey = new HashMap<>();
        updates.results().forEach(u -> byKey.computeIfAbsent(u.key().asString(), k -> new ArrayList<>()).add(u));
        assertThat(byKey).hasSize(SPEC.keys());
        for (Map.Entry<String, List<AdapterUpdate>> e : byKey.entrySet()) {
            for (AdapterKind kind : AdapterKind.values()) {
                List<AdapterUpdate> versions = e.getValue().stream().filter(u -> u.kind() == kind).toList();
                for (int i = 0; i < versions.size(); i++) {
                    assertThat(versions.get(i).version()).isEqualTo(i + 1L);
                    assertThat(versions.get(i).parentVersion()).isEqualTo((long) i);
                }
            }
            List<float[][]> corrections = parsed.corrections(e.getKey());
            assertThat(corrections).hasSizeGreaterThan(100);
            assertThat(meanLoss(served(e.getValue()), corrections)).isLessThan(0.9 * meanLoss(ServedModel.IDENTITY,
                    corrections));
            assertRegistryServes(e.getValue(), corrections);
        }
    }

    /**
     * The registry, committed with the run's checkpoints, lists every published version with a
     * file that matches its checksum, and its served stack (and that stack's PEFT export) is what
     * the inference operator serves after the last update.
     */
    private void assertRegistryServes(List<AdapterUpdate> published, List<float[][]> corrections) throws Exception {
        RegistryLayout layout = new RegistryLayout(new org.apache.flink.core.fs.Path(registryDir.toUri()));
        AdapterKey key = published.get(0).key();
        java.nio.file.Path keyDir = java.nio.file.Path.of(layout.keyDirectory(key).toUri());
        AdapterManifest manifest = AdapterManifest.fromJson(Files.readAllBytes(keyDir.resolve("manifest.json")));
        Map<AdapterKind, AdapterUpdate> fromRegistry = new HashMap<>();
        for (AdapterKind kind : AdapterKind.values()) {
            List<AdapterUpdate> ofKind = published.stream().filter(u -> u.kind() == kind).toList();
            AdapterManifest.Lineage lineage = manifest.lineage(kind);
            assertThat(lineage.champion()).isEqualTo(ofKind.isEmpty() ? 0 : ofKind.get(ofKind.size() - 1).version());
            assertThat(lineage.versions()).hasSize(Math.min(ofKind.size(), SonaOptions.REGISTRY_HISTORY.defaultValue()));
            for (AdapterManifest.Version v : lineage.versions()) {
                byte[] bytes = Files.readAllBytes(keyDir.resolve(v.file()));
                AdapterUpdate file = AdapterFiles.read(bytes);
                assertThat(file.weights()).isDeepEqualTo(ofKind.get((int) v.version() - 1).weights());
                if (v.version() == lineage.champion()) {
                    fromRegistry.put(kind, file);
                }
            }
        }
        AdapterManifest.Served served = manifest.served();
        AdapterUpdate base = served.base() == 0 ? null : fromRegistry.get(AdapterKind.BASE);
        AdapterUpdate micro = served.micro() == 0 ? null : fromRegistry.get(AdapterKind.MICRO);
        ServedModel registryModel = new ServedModel(base == null ? null : base.toAdapter(),
                micro == null ? null : micro.toAdapter());
        assertThat(meanLoss(registryModel, corrections)).isEqualTo(meanLoss(served(published), corrections));
        assertThat(keyDir.resolve(served.peft()).resolve("adapter_config.json")).exists();
        assertThat(keyDir.resolve(served.peft()).resolve("adapter_model.safetensors")).exists();
        try (var pending = Files.walk(registryDir.resolve(".pending"))) {
            assertThat(pending.filter(Files::isRegularFile)).as("every written version was committed").isEmpty();
        }
    }

    private static List<RawRecord> records(List<byte[]> lines, String source) {
        List<RawRecord> records = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            records.add(new RawRecord(lines.get(i), source, -1, i));
        }
        return records;
    }

    private static int nearestPattern(List<Pattern> patterns, float[] x) {
        int best = 0;
        for (int p = 1; p < patterns.size(); p++) {
            if (Vectors.cosine(patterns.get(p).centroid(), x) > Vectors.cosine(patterns.get(best).centroid(), x)) {
                best = p;
            }
        }
        return best;
    }

    /** What the inference operator serves after {@code updates}: the last base, and the last micro if learned on it. */
    private static ServedModel served(List<AdapterUpdate> updates) {
        AdapterUpdate base = null;
        AdapterUpdate micro = null;
        for (AdapterUpdate u : updates) {
            if (u.kind() == AdapterKind.BASE) {
                base = u;
            } else {
                micro = u;
            }
        }
        long baseVersion = base == null ? 0 : base.version();
        return new ServedModel(base == null ? null : base.toAdapter(),
                micro != null && micro.servedWithBase() == baseVersion ? micro.toAdapter() : null);
    }

    /** Mean loss of the pairs under {@code model}. */
    private static double meanLoss(ServedModel model, List<float[][]> pairs) {
        double sum = 0;
        for (float[][] p : pairs) {
            sum += 0.5 * Vectors.squaredDistance(model.apply(p[0]), p[1]);
        }
        return sum / pairs.size();
    }

    private static Parsed parse(Workload workload) {
        ParseLimits limits = new ParseLimits(DIM, 1 << 20);
        Parsed parsed = new Parsed();
        for (byte[] line : workload.trajectories()) {
            if (EventParser.parseTrajectory(new RawRecord(line, "t", -1, -1), limits)
                    instanceof ParseResult.Parsed<Trajectory> p) {
                parsed.trajectories.add(p.value());
            }
        }
        for (byte[] line : workload.signals()) {
            if (EventParser.parseSignal(new RawRecord(line, "s", -1, -1), limits)
                    instanceof ParseResult.Parsed<TrainingSignal> p) {
                parsed.signals.add(p.value());
            }
        }
        return parsed;
    }

    private static final class Parsed {
        final List<Trajectory> trajectories = new ArrayList<>();
        final List<TrainingSignal> signals = new ArrayList<>();

        /** (input, target) of all the key's corrections (both tasks). */
        List<float[][]> corrections(String key) {
            Map<String, float[]> inputs = new HashMap<>();
            trajectories.forEach(t -> inputs.put(t.id(), t.embedding()));
            List<float[][]> pairs = new ArrayList<>();
            List<TrainingSignal> ofKey = signals.stream()
                    .filter(s -> s.key().asString().equals(key) && s.type() == SignalType.CORRECTION
                            && inputs.containsKey(s.trajectoryId()))
                    .toList();
            for (TrainingSignal s : ofKey) {
                pairs.add(new float[][] {inputs.get(s.trajectoryId()), s.target()});
            }
            return pairs;
        }
    }
}
