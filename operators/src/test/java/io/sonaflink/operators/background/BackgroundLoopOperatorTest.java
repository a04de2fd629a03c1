package io.sonaflink.operators.background;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.SkillMap;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.testing.BackgroundHarness;
import io.sonaflink.operators.testing.KeyedStateProbe;
import io.sonaflink.operators.testing.RocksDbHarnesses;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.math.DeterministicRandom;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

class BackgroundLoopOperatorTest {

    private static final int DIM = 16;
    private static final int CLUSTERS = 5;
    private static final long INTERVAL = 1_000L;
    private static final BackgroundLoopConfig CONFIG =
            new BackgroundLoopConfig(DIM, INTERVAL, BackgroundConfig.DEFAULT.withPatternClusters(CLUSTERS), 42L);
    private static final AdapterKey ACME = new AdapterKey("acme", "support", "billing");
    private static final AdapterKey GLOBEX = new AdapterKey("globex", "sales", "quotes");

    private final List<BackgroundHarness> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (var h : open) {
            h.close();
        }
    }

    /**
     * The gate's input comes through here in one ordered stream: examples to learn now pass
     * through, a settled trajectory's quality goes on without its embedding, and a settled one
     * with a target (learned when it arrived) only enters the window.
     */
    @Test
    void examplesPassThroughAndSettledQualitiesGoOnToTheGate() throws Exception {
        var h = harness(CONFIG, null);
        h.setProcessingTime(0);
        float[] x = new float[DIM];
        x[0] = 1f;
        Trajectory example = new Trajectory("t-1", ACME, 1L, x, "r", Map.of(), Map.of(), null, 0.7f, x.clone(), 1f);
        Trajectory settled = new Trajectory("t-2", ACME, 2L, x, "r", Map.of(), Map.of(), null, 0.6f, null, 1f);
        h.processElement(new StreamRecord<>(Either.Left(example), 10L));
        h.settle(settled, 11L);
        h.settle(example, 12L);

        assertThat(h.forwarded()).hasSize(2);
        assertThat(h.forwarded().get(0)).isEqualTo(example);
        assertThat(h.forwarded().get(1)).satisfies(t -> {
            assertThat(t.id()).isEqualTo("t-2");
            assertThat(t.quality()).isEqualTo(0.6f);
            assertThat(t.embedding()).isEmpty();
        });
        assertThat(h.extractOutputValues()).hasSize(2);
    }

    /** Keys do not all run their cycles at the same instant: each key's window has its own phase. */
    @Test
    void windowsOfDifferentKeysEndAtDifferentTimes() throws Exception {
        var h = harness(CONFIG, null);
        h.setProcessingTime(0);
        List<AdapterKey> keys = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            AdapterKey key = new AdapterKey("tenant-" + i, "support", "billing");
            keys.add(key);
            feed(h, key, 300, i);
        }
        Set<Long> firstFires = new TreeSet<>();
        for (long t = 1; t <= INTERVAL; t++) {
            int before = h.candidates().size();
            h.setProcessingTime(t);
            if (h.candidates().size() > before) {
                firstFires.add(t);
            }
        }
        assertThat(h.candidates()).hasSize(keys.size()); // one window each within the first interval
        assertThat(firstFires).hasSizeGreaterThan(1);
    }

    @Test
    void windowFiresOneCyclePerKeyWithPatternsAndSkillMap() throws Exception {
        var h = harness(CONFIG, null);
        h.setProcessingTime(0);
        feed(h, ACME, 300, 1);
        feed(h, GLOBEX, 300, 2);
        assertThat(h.candidates()).isEmpty();

        h.setProcessingTime(INTERVAL);

        List<AdapterUpdate> candidates = h.candidates();
        assertThat(candidates).extracting(AdapterUpdate::key).containsExactlyInAnyOrder(ACME, GLOBEX);
        assertThat(candidates).allSatisfy(u -> {
            assertThat(u.kind()).isEqualTo(AdapterKind.BASE);
            assertThat(u.version()).isEqualTo(1L);
            assertThat(u.parentVersion()).isZero();
            assertThat(u.metrics().get(BackgroundLoopOperator.METRIC_CYCLE_SAMPLES)).isEqualTo(300.0);
            assertThat(u.metrics().get(BackgroundLoopOperator.METRIC_LOSS_AFTER))
                    .isLessThan(u.metrics().get(BackgroundLoopOperator.METRIC_LOSS_BEFORE));
        });
        List<PatternSnapshot> snapshots = values(h.getSideOutput(BackgroundLoopOperator.PATTERN_SNAPSHOTS));
        assertThat(snapshots).hasSize(2).allSatisfy(s -> {
            assertThat(s.patterns()).hasSize(CLUSTERS);
            assertThat(s.patterns().stream().mapToLong(Pattern::sampleCount).sum()).isEqualTo(300L);
        });
        List<SkillMap> skills = values(h.getSideOutput(BackgroundLoopOperator.SKILL_MAPS));
        assertThat(skills).hasSize(2).allSatisfy(m -> {
            assertThat(m.patterns()).isEqualTo(CLUSTERS);
            assertThat(m.confidence()).isGreaterThan(0.8);
        });
        // the window's reservoir and timer are gone; the learned bank and adapter stay
        assertThat(KeyedStateProbe.entries(op(h), "reservoir", "reservoir-seen", "window-end")).isZero();
        assertThat(KeyedStateProbe.entries(op(h), "bank", "base-lora", "cycles")).isEqualTo(6);
        assertThat(h.numProcessingTimeTimers()).isZero();
    }

    @Test
    void smallWindowIsCarriedOverNotDropped() throws Exception {
        var h = harness(CONFIG, null);
        h.setProcessingTime(0);
        feed(h, ACME, 60, 1);
        h.setProcessingTime(INTERVAL);
        assertThat(h.candidates()).isEmpty();
        assertThat(h.numProcessingTimeTimers()).isEqualTo(1);

        feed(h, ACME, 60, 2);
        h.setProcessingTime(2 * INTERVAL);
        assertThat(h.candidates()).singleElement().satisfies(u ->
                assertThat(u.metrics().get(BackgroundLoopOperator.METRIC_CYCLE_SAMPLES)).isEqualTo(120.0));
    }

    @Test
    void reservoirKeepsAtMostMaxTrajectories() throws Exception {
        BackgroundConfig small = new BackgroundConfig(0.3f, CLUSTERS, 10, 50, CONFIG.learning().kmeans(),
                CONFIG.learning().bank(), CONFIG.learning().baseLora(), CONFIG.learning().ewc());
        var h = harness(new BackgroundLoopConfig(DIM, INTERVAL, small, 42L), null);
        h.setProcessingTime(0);
        feed(h, ACME, 400, 3);
        h.setProcessingTime(INTERVAL);
        assertThat(h.candidates()).singleElement().satisfies(u ->
                assertThat(u.metrics().get(BackgroundLoopOperator.METRIC_CYCLE_SAMPLES)).isEqualTo(50.0));
    }

    @Test
    void endOfBoundedInputLearnsFromTheLastWindow() throws Exception {
        var h = harness(CONFIG, null);
        h.setProcessingTime(0);
        feed(h, ACME, 40, 1); // below minTrajectories: learned anyway, nothing is left behind
        h.endInput();
        assertThat(h.candidates()).singleElement().satisfies(u ->
                assertThat(u.metrics().get(BackgroundLoopOperator.METRIC_CYCLE_SAMPLES)).isEqualTo(40.0));
        assertThat(h.numProcessingTimeTimers()).isZero();
    }

    @Test
    void restoredOperatorLearnsExactlyWhatAnUninterruptedOneLearns() throws Exception {
        var uninterrupted = harness(CONFIG, null);
        uninterrupted.setProcessingTime(0);
        feed(uninterrupted, ACME, 150, 1);
        feed(uninterrupted, ACME, 150, 2);
        uninterrupted.setProcessingTime(INTERVAL);
        feed(uninterrupted, ACME, 200, 3);
        uninterrupted.setProcessingTime(2 * INTERVAL);

        var before = harness(CONFIG, null);
        before.setProcessingTime(0);
        feed(before, ACME, 150, 1);
        OperatorSubtaskState snapshot = before.snapshot(1L, 1L);
        var after = harness(CONFIG, snapshot);
        after.setProcessingTime(0);
        feed(after, ACME, 150, 2);
        after.setProcessingTime(INTERVAL);
        OperatorSubtaskState second = after.snapshot(2L, 2L);
        var last = harness(CONFIG, second);
        last.setProcessingTime(INTERVAL);
        feed(last, ACME, 200, 3);
        last.setProcessingTime(2 * INTERVAL);

        List<AdapterUpdate> expected = uninterrupted.candidates();
        List<AdapterUpdate> actual = new ArrayList<>(after.candidates());
        actual.addAll(last.candidates());
        assertThat(actual).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(actual.get(i).version()).isEqualTo(expected.get(i).version());
            assertThat(Arrays.deepEquals(actual.get(i).weights(), expected.get(i).weights())).isTrue();
            assertThat(actual.get(i).metrics()).isEqualTo(expected.get(i).metrics());
        }
    }

    private static void feed(
            BackgroundHarness h, AdapterKey key, int n,
            long stream) throws Exception {
        DeterministicRandom centres = new DeterministicRandom(7L); // the same planted clusters for every call
        float[][] c = new float[CLUSTERS][DIM];
        for (float[] centre : c) {
            for (int j = 0; j < DIM; j++) {
                centre[j] = (float) centres.nextGaussian();
            }
        }
        DeterministicRandom random = new DeterministicRandom(key.hashCode() * 31L + stream);
        for (int i = 0; i < n; i++) {
            int cluster = i % CLUSTERS;
            float[] x = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                x[j] = c[cluster][j] + (float) (0.05 * random.nextGaussian());
            }
            float[] target = i % 4 == 0 ? scaled(x, 1.1f) : null;
            h.settle(new Trajectory(key + "-" + stream + "-" + i, key, i, x,
                    "route-" + cluster, Map.of(), Map.of(), null, 0.8f + 0.01f * (float) random.nextGaussian(),
                    target, 1f));
        }
    }

    private static float[] scaled(float[] x, float factor) {
        float[] y = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            y[j] = factor * x[j];
        }
        return y;
    }

    private static <T> List<T> values(java.util.Queue<StreamRecord<T>> records) {
        List<T> out = new ArrayList<>();
        if (records != null) {
            records.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private static BackgroundLoopOperator op(BackgroundHarness h) {
        return (BackgroundLoopOperator) h.getOperator();
    }

    private BackgroundHarness harness(
            BackgroundLoopConfig config, OperatorSubtaskState restore) throws Exception {
        var h = new BackgroundHarness(new BackgroundLoopOperator(config));
        open.add(RocksDbHarnesses.open(h, restore));
        return h;
    }
}
