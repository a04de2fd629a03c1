package io.sonaflink.operators.migration;

import io.sonaflink.operators.background.BackgroundLoopConfig;
import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.SignalSource;
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.feedback.FeedbackJoinConfig;
import io.sonaflink.operators.feedback.FeedbackJoinFunction;
import io.sonaflink.operators.feedback.FeedbackJoinOperator;
import io.sonaflink.operators.gate.AdapterGateConfig;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.operators.gate.AdapterGateOperator;
import io.sonaflink.operators.testing.BackgroundHarness;
import io.sonaflink.operators.testing.GateHarness;
import io.sonaflink.operators.instant.InstantLoopConfig;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.math.Vectors;
import io.sonaflink.state.serving.HeldOutSplit;

import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Operator state written by earlier releases (committed under {@code snapshots/<release>/})
 * restores into the current code. A format change that forgets to read an old version, or a
 * renamed state, fails here rather than in a user's upgrade. Regenerate the files of the release
 * being cut only, when cutting it:
 * {@code mvn test -pl operators -Dtest=SavepointCompatibilityTest -Dsona.snapshots.write=0.2}.
 *
 * <p>Release 0.2 changed what is learned (one served stack; EWC++ on task samples), so 0.1 state
 * restores by migration rather than bit for bit: the background loop's bank, BaseLoRA weights and
 * window carry over and its EWC++ state is read as a learner with no remembered task. 0.1's
 * instant-loop operator is gone: its MicroLoRA fitted the full correction beside the base, which
 * the served stack would count twice, so a 0.1 savepoint is restored with {@code
 * --allowNonRestoredState} and the MicroLoRA relearns from the next corrections (README, upgrades).
 * From 0.2 on, state continues exactly as an uninterrupted run. Release 0.3 keyed the feedback join
 * by adapter key under a new uid (0.2's join state is dropped after a drained stop, README,
 * upgrades); its own snapshot is committed from 0.3 on.
 */
class SavepointCompatibilityTest {

    private static final Path SNAPSHOTS = Path.of("src", "test", "resources", "snapshots");
    private static final String WRITE = System.getProperty("sona.snapshots.write", "");
    private static final int DIM = 16;
    private static final AdapterKey ACME = new AdapterKey("acme", "support", "billing");
    private static final AdapterKey GLOBEX = new AdapterKey("globex", "sales", "quotes");
    private static final BackgroundLoopConfig BACKGROUND =
            new BackgroundLoopConfig(DIM, 1_000L, BackgroundConfig.DEFAULT.withPatternClusters(3), 42L);

    @Test
    void backgroundLoopStateOfRelease01MigratesAndLearnsOn() throws Exception {
        OperatorSubtaskState release = golden("0.1", "background-loop.snapshot", () -> {
            throw new IllegalStateException("release 0.1 is cut: its snapshot is not rewritten");
        });
        var restored = openBackground(release);
        restored.setProcessingTime(1_000);
        restored.setProcessingTime(2_000);

        List<AdapterUpdate> out = restored.candidates();
        assertThat(out).singleElement().satisfies(u -> {
            assertThat(u.version()).isEqualTo(2L); // the restored window was cycle 2: the count carried over
            assertThat(u.metrics().get(BackgroundLoopOperator.METRIC_CYCLE_SAMPLES)).isEqualTo(150.0);
            assertThat(u.metrics().get(BackgroundLoopOperator.METRIC_EWC_TASKS)).isZero();
            assertThat(Arrays.stream(u.weights()).allMatch(Vectors::allFinite)).isTrue();
        });
        List<PatternSnapshot> patterns = new ArrayList<>();
        restored.getSideOutput(BackgroundLoopOperator.PATTERN_SNAPSHOTS).forEach(r -> patterns.add(r.getValue()));
        assertThat(patterns).singleElement().satisfies(p -> {
            assertThat(p.cycle()).isEqualTo(2L);
            assertThat(p.patterns()).hasSize(3); // cycle 1's bank, refined: not a second set of three
        });
        restored.close();
    }

    @Test
    void backgroundLoopStateOfRelease02ContinuesIdentically() throws Exception {
        List<Trajectory> first = planted(0, 150);
        List<Trajectory> second = planted(150, 150);
        var uninterrupted = openBackground(null);
        uninterrupted.setProcessingTime(0);
        feed(uninterrupted, first);
        uninterrupted.setProcessingTime(1_000);
        feed(uninterrupted, second);
        uninterrupted.setProcessingTime(2_000);
        AdapterUpdate expected = uninterrupted.candidates().get(1);
        uninterrupted.close();

        OperatorSubtaskState release = golden("0.2", "background-loop.snapshot", () -> {
            var writer = openBackground(null);
            writer.setProcessingTime(0);
            feed(writer, first);
            writer.setProcessingTime(1_000);
            feed(writer, second); // a learned bank and adapter, and a window in flight
            OperatorSubtaskState s = writer.snapshot(1L, 1_000L);
            writer.close();
            return s;
        });
        var restored = openBackground(release);
        restored.setProcessingTime(1_000);
        restored.setProcessingTime(2_000);
        assertThat(restored.candidates()).containsExactly(expected);
        restored.close();
    }

    /** Release 0.3's feedback join, keyed by adapter key: kept trajectories, early signals and cursors carry over. */
    @Test
    void feedbackJoinStateOfRelease03ContinuesIdentically() throws Exception {
        var uninterrupted = openJoin(null);
        joinFirstHalf(uninterrupted);
        int before = uninterrupted.extractOutputValues().size();
        joinSecondHalf(uninterrupted);
        List<Either<Trajectory, Trajectory>> expected = new ArrayList<>(uninterrupted.extractOutputValues()
                .subList(before, uninterrupted.extractOutputValues().size()));
        uninterrupted.close();
        assertThat(expected).anyMatch(Either::isLeft).anyMatch(Either::isRight);

        OperatorSubtaskState release = golden("0.3", "feedback-join.snapshot", () -> {
            var writer = openJoin(null);
            joinFirstHalf(writer);
            writer.prepareSnapshotPreBarrier(1L);
            OperatorSubtaskState s = writer.snapshot(1L, 1_000L);
            writer.close();
            return s;
        });
        var restored = openJoin(release);
        joinSecondHalf(restored);
        assertThat(restored.extractOutputValues()).containsExactlyElementsOf(expected);
        restored.close();
    }

    /** The gate with the instant loop inside: MicroLoRA, versions, held-out sets and pins carry over. */
    @Test
    void gateStateOfRelease02ContinuesIdentically() throws Exception {
        List<Trajectory> before = corrections(0, 120);
        List<Trajectory> after = corrections(120, 120);
        var uninterrupted = openGate(null);
        feedGate(uninterrupted, before);
        int publishedBefore = uninterrupted.extractOutputValues().size();
        feedGate(uninterrupted, after);
        List<AdapterUpdate> expected = new ArrayList<>(uninterrupted.extractOutputValues()
                .subList(publishedBefore, uninterrupted.extractOutputValues().size()));
        uninterrupted.close();

        OperatorSubtaskState release = golden("0.2", "adapter-gate.snapshot", () -> {
            var writer = openGate(null);
            feedGate(writer, before);
            OperatorSubtaskState s = writer.snapshot(1L, 1L);
            writer.close();
            return s;
        });
        var restored = openGate(release);
        feedGate(restored, after);

        assertThat(expected).isNotEmpty();
        assertThat(restored.extractOutputValues()).containsExactlyElementsOf(expected);
        restored.close();
    }

    /** The inference operator's broadcast state of 0.3: served versions and patterns carry over. */
    @Test
    void inferenceStateOfRelease03ServesTheSameVersions() throws Exception {
        OperatorSubtaskState release = golden("0.3", "inference.snapshot", () -> {
            throw new IllegalStateException("release 0.3's inference operator (keyed) is gone: its snapshot is not"
                    + " rewritten");
        });
        List<Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>> updates = servingUpdates();
        AdapterUpdate base = updates.get(0).left().f0;
        AdapterUpdate micro = updates.get(1).left().f0;
        float[] x = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            x[i] = i % 2 == 0 ? 0.5f : -0.25f;
        }
        var restored = new org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness<>(
                new io.sonaflink.operators.inference.InferenceOperator(new io.sonaflink.operators.inference.InferenceConfig(
                        new io.sonaflink.state.bandit.RouteAdvisor(0.5f, 0.5f, 1.0f), 1, 5,
                        io.sonaflink.operators.inference.InferenceDevice.JAVA, 64)));
        restored.setup(io.sonaflink.operators.events.EventCodecs.RESPONSE.createSerializer(new SerializerConfigImpl()));
        restored.initializeState(release);
        restored.open();
        restored.processElement1(new StreamRecord<>(new io.sonaflink.operators.events.Query("q", ACME, x, 1L), 1L));

        io.sonaflink.operators.events.Response r = restored.extractOutputValues().get(0);
        assertThat(r.baseVersion()).isEqualTo(2);
        assertThat(r.microVersion()).isEqualTo(3);
        assertThat(r.adapted()).containsExactly(new io.sonaflink.state.serving.ServedModel(base.toAdapter(),
                micro.toAdapter()).apply(x), org.assertj.core.api.Assertions.within(1e-6f));
        float[] nearPattern = new float[DIM];
        nearPattern[0] = 1f;
        restored.processElement1(new StreamRecord<>(new io.sonaflink.operators.events.Query("p", ACME, nearPattern, 1L),
                1L));
        assertThat(restored.extractOutputValues().get(1).patternId()).isEqualTo(7);
        restored.close();
    }

    /** A base v2, a MicroLoRA v3 learned on it, and a pattern bank of cycle 4, for {@link #ACME}. */
    private static List<Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>> servingUpdates() {
        io.sonaflink.state.lora.LoraAdapter base = io.sonaflink.state.lora.LoraAdapter.initialize(DIM, 8, 1, 16f, 5L);
        io.sonaflink.state.lora.LoraAdapter micro = io.sonaflink.state.lora.LoraAdapter.initialize(DIM, 2, 1, 2f, 6L);
        for (io.sonaflink.state.lora.LoraAdapter a : List.of(base, micro)) {
            for (int k = 0; k < a.rank(); k++) {
                float[] column = a.bColumn(0, k);
                for (int i = 0; i < DIM; i++) {
                    column[i] = 0.01f * (i - k);
                }
            }
        }
        float[] centroid = new float[DIM];
        centroid[0] = 1f;
        return List.of(
                io.sonaflink.operators.inference.InferenceOperator.adapter(AdapterUpdate.of(ACME, io.sonaflink.operators.events.AdapterKind.BASE, 2, 1,
                        base, Map.of(), 10L)),
                io.sonaflink.operators.inference.InferenceOperator.adapter(AdapterUpdate.of(ACME, io.sonaflink.operators.events.AdapterKind.MICRO, 3, 2,
                        micro, Map.of(AdapterUpdate.METRIC_SERVED_WITH_BASE, 2.0), 11L)),
                Either.Right(new PatternSnapshot(ACME, 4, 12L, List.of(new io.sonaflink.state.bank.Pattern(7, centroid,
                        50, 0.9, 0.01, "hnsw", Map.of("strategy", "greedy"), Map.of("ef", 64.0), 3, 3)))));
    }

    private interface SnapshotWriter {
        OperatorSubtaskState write() throws Exception;
    }

    /** The committed snapshot of {@code release}, written anew only when that release is being cut. */
    private static OperatorSubtaskState golden(String release, String name, SnapshotWriter writer) throws Exception {
        Path file = SNAPSHOTS.resolve(release).resolve(name);
        if (WRITE.equals(release)) {
            Files.createDirectories(file.getParent());
            OperatorSnapshotUtil.writeStateHandle(writer.write(), file.toString());
        }
        return OperatorSnapshotUtil.readStateHandle(file.toString());
    }

    private static final FeedbackJoinConfig JOIN = new FeedbackJoinConfig(1_000L, 5_000L, 8);

    private static KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal,
            Either<Trajectory, Trajectory>> openJoin(OperatorSubtaskState restore) throws Exception {
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(
                new FeedbackJoinOperator(new FeedbackJoinFunction(JOIN), 4),
                (Trajectory t) -> t.key().asString(), (TrainingSignal s) -> s.key().asString(), Types.STRING);
        h.setStateBackend(new HashMapStateBackend());
        h.setup(FeedbackJoinFunction.OUTPUT_TYPE.createSerializer(new SerializerConfigImpl()));
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    /** Trajectories of two keys, more than a key keeps, and a signal for one not seen yet. */
    private static void joinFirstHalf(KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal,
            Either<Trajectory, Trajectory>> h) throws Exception {
        h.setProcessingTime(0);
        List<Trajectory> input = corrections(0, 24);
        for (int i = 0; i < input.size(); i++) {
            Trajectory t = input.get(i);
            h.processElement1(new StreamRecord<>(i % 3 == 0 ? t : t.withFeedback(0.7f, null, 1f), t.timestamp()));
        }
        h.processElement2(new StreamRecord<>(signal("s-early", "c-30", ACME, SignalType.MISTAKE, null)));
        h.setProcessingTime(500);
    }

    /** Corrections for kept, settled and unknown trajectories, the early signal's trajectory, time passing. */
    private static void joinSecondHalf(KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal,
            Either<Trajectory, Trajectory>> h) throws Exception {
        h.setProcessingTime(700);
        for (int i : new int[] {22, 23, 2, 99}) {
            AdapterKey key = i % 2 == 0 ? ACME : GLOBEX;
            float[] y = new float[DIM];
            y[i % DIM] = 1f;
            h.processElement2(new StreamRecord<>(signal("s-" + i, "c-" + i, key, SignalType.CORRECTION, y)));
        }
        h.processElement1(new StreamRecord<>(corrections(30, 1).get(0).withFeedback(0.9f, null, 1f), 30L));
        h.setProcessingTime(1_600);
        h.setProcessingTime(7_000);
    }

    private static TrainingSignal signal(String id, String trajectoryId, AdapterKey key, SignalType type,
            float[] target) {
        return new TrainingSignal(id, trajectoryId, key, type, SignalSource.HUMAN, 1f, target, null, 5L);
    }

    private static BackgroundHarness openBackground(OperatorSubtaskState restore) throws Exception {
        var h = new BackgroundHarness(new BackgroundLoopOperator(BACKGROUND));
        h.setStateBackend(new HashMapStateBackend()); // heap snapshots are self-contained files
        h.setup();
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    private static KeyedBroadcastOperatorTestHarness<String, Either<Trajectory, AdapterUpdate>, Control, AdapterUpdate>
            openGate(OperatorSubtaskState restore) throws Exception {
        InstantLoopConfig instant = new InstantLoopConfig(DIM, new MicroLoraConfig(2, 2f, 0.05f, 1), 8, 0L, 7L);
        AdapterGateConfig gate = AdapterGateConfig.DEFAULT.withSplit(new HeldOutSplit(0.3)).withHeldOut(64, 5);
        var h = new GateHarness(gate, instant, 128, 1, 0);
        h.setStateBackend(new HashMapStateBackend());
        h.setup();
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    private static void feed(BackgroundHarness h, List<Trajectory> input) throws Exception {
        for (Trajectory t : input) {
            h.settle(t, t.timestamp());
        }
    }

    private static void feedGate(
            KeyedBroadcastOperatorTestHarness<String, Either<Trajectory, AdapterUpdate>, Control, AdapterUpdate> h,
            List<Trajectory> input) throws Exception {
        for (Trajectory t : input) {
            h.processElement(AdapterGateFunction.trajectory(t), t.timestamp());
        }
    }

    /** Corrections {@code y = 1.1 x} for two keys, events {@code from .. from + n}. */
    private static List<Trajectory> corrections(int from, int n) {
        List<Trajectory> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            DeterministicRandom random = new DeterministicRandom(i);
            AdapterKey key = i % 2 == 0 ? ACME : GLOBEX;
            float[] x = new float[DIM];
            float[] y = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                x[j] = (float) random.nextGaussian();
                y[j] = 1.1f * x[j];
            }
            out.add(new Trajectory("c-" + i, key, i, x, "route-" + (i % 3), Map.of(), Map.of(), null, 0.7f, y, 1f));
        }
        return out;
    }

    /** Points around three planted centres for one key, events {@code from .. from + n}. */
    private static List<Trajectory> planted(int from, int n) {
        DeterministicRandom centres = new DeterministicRandom(99);
        float[][] c = new float[3][DIM];
        for (float[] centre : c) {
            for (int j = 0; j < DIM; j++) {
                centre[j] = (float) centres.nextGaussian();
            }
        }
        List<Trajectory> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            DeterministicRandom random = new DeterministicRandom(1_000 + i);
            float[] x = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                x[j] = c[i % 3][j] + (float) (0.05 * random.nextGaussian());
            }
            float[] target = i % 4 == 0 ? x.clone() : null;
            out.add(new Trajectory("p-" + i, ACME, i, x, "route-" + (i % 3), Map.of(), Map.of(), null,
                    0.8f, target, 1f));
        }
        return out;
    }
}
