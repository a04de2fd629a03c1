package io.sonaflink.operators.instant;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.instant.InstantLoopFixtures.PlantedCorrection;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.MicroLoraConfig;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.state.rocksdb.RocksDBKeyedStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.sonaflink.operators.instant.InstantLoopFixtures.DIM;
import static io.sonaflink.operators.instant.InstantLoopFixtures.KEY_A;
import static io.sonaflink.operators.instant.InstantLoopFixtures.KEY_B;
import static io.sonaflink.operators.instant.InstantLoopFixtures.config;
import static io.sonaflink.operators.instant.InstantLoopFixtures.harness;
import static io.sonaflink.operators.instant.InstantLoopFixtures.interleaved;
import static io.sonaflink.operators.instant.InstantLoopFixtures.plain;
import static io.sonaflink.operators.instant.InstantLoopFixtures.process;
import static io.sonaflink.operators.instant.InstantLoopFixtures.updates;
import static io.sonaflink.operators.instant.InstantLoopFixtures.updatesOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class InstantLoopFunctionTest {

    private static final int PUBLISH_EVERY = 5;

    @Test
    void learnsOneAdapterPerKeyAndPublishesEveryNFlushes() throws Exception {
        PlantedCorrection a = new PlantedCorrection(KEY_A, 11L, 20);
        PlantedCorrection b = new PlantedCorrection(KEY_B, 12L, 20);
        List<Trajectory> input = interleaved(a, b, 15, 1_000L);

        List<Trajectory> output;
        List<AdapterUpdate> updates;
        try (var h = harness(config(PUBLISH_EVERY, 0L))) {
            h.open();
            process(h, input);
            output = h.extractOutputValues();
            updates = updates(h);
            assertThat(h.numProcessingTimeTimers()).isZero();
        }

        assertThat(output).as("every trajectory passes through unchanged, in order").isEqualTo(input);
        for (PlantedCorrection key : List.of(a, b)) {
            List<Long> correctionTimes = input.stream()
                    .filter(t -> t.key().equals(key.key) && t.hasTarget())
                    .map(Trajectory::timestamp)
                    .toList();
            List<AdapterUpdate> own = updatesOf(updates, key.key);
            assertThat(correctionTimes).hasSize(300);
            assertThat(own).hasSize(300 / PUBLISH_EVERY);
            for (int i = 0; i < own.size(); i++) {
                AdapterUpdate u = own.get(i);
                long version = (long) (i + 1) * PUBLISH_EVERY;
                assertThat(u.kind()).isEqualTo(AdapterKind.MICRO);
                assertThat(u.version()).isEqualTo(version);
                assertThat(u.parentVersion()).isEqualTo(version - PUBLISH_EVERY);
                assertThat(u.createdAt()).as("timestamp of the correction that triggered it")
                        .isEqualTo(correctionTimes.get((int) version - 1));
                assertThat(u.rank()).isEqualTo(2);
                assertThat(u.layers()).isEqualTo(1);
                assertThat(u.dim()).isEqualTo(DIM);
                assertThat(u.metrics())
                        .containsEntry(AdapterUpdate.METRIC_EVENTS_SEEN, (double) version)
                        .containsEntry(AdapterUpdate.METRIC_RECENT_CORRECTIONS, (double) PUBLISH_EVERY);
            }
            // four updates cover one pass over the key's 20 examples
            List<Double> meanLoss = own.stream().map(u -> u.metrics().get(AdapterUpdate.METRIC_MEAN_LOSS)).toList();
            double firstPass = meanLoss.subList(0, 4).stream().mapToDouble(Double::doubleValue).sum();
            double lastPass = meanLoss.subList(56, 60).stream().mapToDouble(Double::doubleValue).sum();
            assertThat(lastPass).as("loss while learning: %s", meanLoss).isLessThan(0.2 * firstPass);
        }

        LoraAdapter learnedA = updatesOf(updates, KEY_A).get(59).toAdapter();
        LoraAdapter learnedB = updatesOf(updates, KEY_B).get(59).toAdapter();
        LoraAdapter initialA = learnedA.copy();
        for (int r = 2; r < 4; r++) {
            Arrays.fill(initialA.weights()[r], 0f); // B = 0: the identity the key started from
        }
        assertThat(learnedA.weights()).isNotEqualTo(learnedB.weights());
        double identityLossA = a.meanLoss(initialA);
        assertThat(a.meanLoss(learnedA)).as("key A loss from %s", identityLossA).isLessThan(0.1 * identityLossA);
        assertThat(b.meanLoss(learnedB)).isLessThan(0.1 * b.meanLoss(initialA));
        assertThat(a.meanLoss(learnedB)).as("B's adapter does not fit A's corrections")
                .isGreaterThan(5 * a.meanLoss(learnedA));
    }

    @Test
    void intervalPublishFiresOnceAndOnlyWhenSomethingChanged() throws Exception {
        PlantedCorrection a = new PlantedCorrection(KEY_A, 11L, 4);
        PlantedCorrection b = new PlantedCorrection(KEY_B, 12L, 4);
        try (var h = harness(config(1_000, 10_000L))) {
            h.open();
            h.setProcessingTime(0L);
            process(h, List.of(a.correction(0, 100L), b.correction(0, 101L), a.correction(1, 102L),
                    a.correction(2, 103L), b.correction(1, 104L)));
            assertThat(h.numProcessingTimeTimers()).as("one pending timer per key").isEqualTo(2);

            h.setProcessingTime(9_999L);
            assertThat(updates(h)).isEmpty();

            h.setProcessingTime(10_000L);
            List<AdapterUpdate> published = updates(h);
            assertThat(published).extracting(AdapterUpdate::key, AdapterUpdate::version, AdapterUpdate::parentVersion,
                            AdapterUpdate::createdAt)
                    .containsExactlyInAnyOrder(
                            tuple(KEY_A, 3L, 0L, 103L),
                            tuple(KEY_B, 2L, 0L, 104L));
            assertThat(h.numProcessingTimeTimers()).isZero();

            h.setProcessingTime(50_000L);
            process(h, List.of(plain(KEY_A, 200L), plain(KEY_B, 201L)));
            h.setProcessingTime(80_000L);
            assertThat(updates(h)).as("nothing changed: nothing more published").hasSize(2);
            assertThat(h.numProcessingTimeTimers()).isZero();

            process(h, List.of(a.correction(3, 300L)));
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
            h.setProcessingTime(90_000L);
            List<AdapterUpdate> all = updates(h);
            assertThat(all).hasSize(3);
            assertThat(all.get(2).key()).isEqualTo(KEY_A);
            assertThat(all.get(2).version()).isEqualTo(4L);
            assertThat(all.get(2).parentVersion()).isEqualTo(3L);
            assertThat(all.get(2).createdAt()).isEqualTo(300L);
            assertThat(h.numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void countBasedPublishCancelsThePendingIntervalTimer() throws Exception {
        PlantedCorrection a = new PlantedCorrection(KEY_A, 11L, 4);
        try (var h = harness(config(2, 10_000L))) {
            h.open();
            h.setProcessingTime(0L);
            process(h, List.of(a.correction(0, 1L)));
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
            process(h, List.of(a.correction(1, 2L)));
            assertThat(updates(h)).extracting(AdapterUpdate::version).containsExactly(2L);
            assertThat(h.numProcessingTimeTimers()).isZero();
            h.setProcessingTime(100_000L);
            assertThat(updates(h)).hasSize(1);
        }
    }

    @Test
    void timerNeverFlushesPendingGradients() throws Exception {
        MicroLoraConfig flushEvery3 = new MicroLoraConfig(2, 2f, 0.01f, 3);
        PlantedCorrection a = new PlantedCorrection(KEY_A, 11L, 4);
        try (var h = harness(new InstantLoopConfig(DIM, flushEvery3, 8, 100, 1_000L, 7L))) {
            h.open();
            h.setProcessingTime(0L);
            process(h, List.of(a.correction(0, 1L), a.correction(1, 2L)));
            assertThat(h.numProcessingTimeTimers()).as("no flush yet, nothing to publish").isZero();
            h.setProcessingTime(5_000L);
            assertThat(updates(h)).isEmpty();

            process(h, List.of(a.correction(2, 3L)));
            h.setProcessingTime(10_000L);
            assertThat(updates(h)).singleElement().satisfies(u -> {
                assertThat(u.version()).isEqualTo(1L);
                assertThat(u.metrics()).containsEntry(AdapterUpdate.METRIC_EVENTS_SEEN, 3.0);
            });
        }
    }

    @Test
    void restoredSnapshotContinuesBitForBit() throws Exception {
        PlantedCorrection a = new PlantedCorrection(KEY_A, 21L, 10);
        PlantedCorrection b = new PlantedCorrection(KEY_B, 22L, 10);
        List<Trajectory> before = interleaved(a, b, 3, 1_000L);
        List<Trajectory> after = interleaved(a, b, 2, 5_000L);
        InstantLoopConfig config = config(4, 10_000L);

        OperatorSubtaskState snapshot;
        List<Trajectory> uninterruptedOutput;
        List<AdapterUpdate> uninterruptedUpdates;
        try (var h = harness(config)) {
            h.open();
            h.setProcessingTime(1_000L);
            process(h, before);
            assertThat(h.numProcessingTimeTimers()).as("30 flushes per key: 2 unpublished, timer pending")
                    .isEqualTo(2);
            snapshot = h.snapshot(1L, 1_000L);
            int outputBefore = h.extractOutputValues().size();
            int updatesBefore = updates(h).size();

            continueAfterSnapshot(h, after);
            uninterruptedOutput = tail(h.extractOutputValues(), outputBefore);
            uninterruptedUpdates = tail(updates(h), updatesBefore);
        }

        try (var restored = harness(config)) {
            restored.initializeState(snapshot);
            restored.open();
            restored.setProcessingTime(1_000L);
            assertThat(restored.numProcessingTimeTimers()).as("timers are restored, not duplicated").isEqualTo(2);
            continueAfterSnapshot(restored, after);

            assertThat(restored.extractOutputValues()).isEqualTo(uninterruptedOutput);
            List<AdapterUpdate> restoredUpdates = updates(restored);
            assertThat(restoredUpdates).isEqualTo(uninterruptedUpdates);
            for (int i = 0; i < restoredUpdates.size(); i++) {
                assertThat(restoredUpdates.get(i).weights()).isDeepEqualTo(uninterruptedUpdates.get(i).weights());
            }
        }
        // the restored timers published the 30th flush; the last interval publish carries the 50th
        assertThat(uninterruptedUpdates).extracting(AdapterUpdate::version)
                .startsWith(30L, 30L)
                .endsWith(50L, 50L);
        assertThat(uninterruptedUpdates.get(0).parentVersion()).isEqualTo(28L);
    }

    /** Fires the timers pending at the snapshot, then learns from {@code after} and fires again. */
    private static void continueAfterSnapshot(
            KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory> h, List<Trajectory> after)
            throws Exception {
        h.setProcessingTime(15_000L);
        assertThat(h.numProcessingTimeTimers()).isZero();
        process(h, after);
        h.setProcessingTime(40_000L);
        assertThat(h.numProcessingTimeTimers()).isZero();
    }

    @Test
    void twoFreshRunsPublishIdenticalUpdates() throws Exception {
        PlantedCorrection a = new PlantedCorrection(KEY_A, 31L, 10);
        PlantedCorrection b = new PlantedCorrection(KEY_B, 32L, 10);
        List<Trajectory> input = interleaved(a, b, 4, 1_000L);

        List<List<AdapterUpdate>> runs = new ArrayList<>();
        // two runs on RocksDB, and one on the heap backend, where state values are live objects
        List<StateBackend> backends =
                List.of(new EmbeddedRocksDBStateBackend(), new EmbeddedRocksDBStateBackend(), new HashMapStateBackend());
        for (StateBackend backend : backends) {
            try (var h = harness(config(3, 10_000L), backend)) {
                h.open();
                process(h, input.subList(0, 50));
                h.setProcessingTime(10_000L);
                process(h, input.subList(50, input.size()));
                h.setProcessingTime(20_000L);
                runs.add(updates(h));
            }
        }
        assertThat(runs.get(0)).isNotEmpty().isEqualTo(runs.get(1)).isEqualTo(runs.get(2));
        for (int i = 0; i < runs.get(0).size(); i++) {
            assertThat(runs.get(0).get(i).weights()).isDeepEqualTo(runs.get(1).get(i).weights())
                    .isDeepEqualTo(runs.get(2).get(i).weights());
        }
    }

    @Test
    void wrongDimensionCorrectionIsSkippedAndPassedOn() throws Exception {
        PlantedCorrection a = new PlantedCorrection(KEY_A, 11L, 2);
        float[] small = new float[DIM / 2];
        Trajectory wrong = InstantLoopFixtures.trajectory(KEY_A, "wrong", 5L, small, small.clone(), 0.5f);
        try (var h = harness(config(1, 0L))) {
            h.open();
            process(h, List.of(wrong, a.correction(0, 6L)));
            assertThat(h.extractOutputValues()).hasSize(2);
            assertThat(updates(h)).singleElement().satisfies(u -> {
                assertThat(u.version()).isEqualTo(1L);
                assertThat(u.metrics()).containsEntry(AdapterUpdate.METRIC_EVENTS_SEEN, 1.0)
                        .containsEntry(AdapterUpdate.METRIC_TRAJECTORIES, 2.0);
            });
        }
    }

    @Test
    void keysWithoutCorrectionsHoldNoAdapterState() throws Exception {
        PlantedCorrection b = new PlantedCorrection(KEY_B, 12L, 2);
        try (var h = harness(config(100, 10_000L))) {
            h.open();
            assertThat(h.getOperator().getKeyedStateBackend()).isInstanceOf(RocksDBKeyedStateBackend.class);
            process(h, List.of(plain(KEY_A, 1L), plain(KEY_A, 2L), b.correction(0, 3L)));
            assertThat(keys(h, InstantLoopFunction.MICRO_LORA_STATE)).containsExactly(KEY_B.asString());
            assertThat(keys(h, InstantLoopFunction.BANDIT_STATE))
                    .containsExactlyInAnyOrder(KEY_A.asString(), KEY_B.asString());
            assertThat(keys(h, InstantLoopFunction.COUNTERS_STATE))
                    .containsExactlyInAnyOrder(KEY_A.asString(), KEY_B.asString());
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
        }
    }

    @Test
    void countsEventsCorrectionsAndUpdatesInFlinkMetrics() throws Exception {
        InterceptingOperatorMetricGroup operatorMetrics = new InterceptingOperatorMetricGroup();
        TaskMetricGroup taskMetrics = new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
            @Override
            public InternalOperatorMetricGroup getOrAddOperator(
                    OperatorID operatorId, String name, Map<String, String> additionalVariables) {
                return operatorMetrics;
            }
        };
        PlantedCorrection a = new PlantedCorrection(KEY_A, 11L, 4);
        float[] small = new float[DIM / 2];
        try (MockEnvironment environment = new MockEnvironmentBuilder().setMetricGroup(taskMetrics).build();
                var h = new KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory>(
                        new KeyedProcessOperator<>(new InstantLoopFunction(config(2, 0L))),
                        t -> t.key().asString(), Types.STRING, environment)) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
            h.open();
            process(h, List.of(a.correction(0, 1L), plain(KEY_A, 2L), a.correction(1, 3L), a.correction(2, 4L),
                    InstantLoopFixtures.trajectory(KEY_B, "wrong", 5L, small, small.clone(), 0.5f)));
        }
        assertThat(counter(operatorMetrics, InstantLoopFunction.METRIC_EVENTS)).isEqualTo(5L);
        assertThat(counter(operatorMetrics, InstantLoopFunction.METRIC_CORRECTIONS)).isEqualTo(3L);
        assertThat(counter(operatorMetrics, InstantLoopFunction.METRIC_REJECTED_CORRECTIONS)).isEqualTo(1L);
        assertThat(counter(operatorMetrics, InstantLoopFunction.METRIC_MICRO_UPDATES)).isEqualTo(1L);
    }

    private static long counter(InterceptingOperatorMetricGroup metrics, String name) {
        return ((Counter) metrics.get(name)).getCount();
    }

    @Test
    void adapterSeedIsStablePerKeyAndSeed() {
        String key = KEY_A.asString();
        assertThat(InstantLoopFunction.adapterSeed(7L, key)).isEqualTo(InstantLoopFunction.adapterSeed(7L, key));
        assertThat(InstantLoopFunction.adapterSeed(7L, key)).isNotEqualTo(InstantLoopFunction.adapterSeed(8L, key));
        assertThat(InstantLoopFunction.adapterSeed(7L, key))
                .isNotEqualTo(InstantLoopFunction.adapterSeed(7L, KEY_B.asString()));
        // pinned: changing the derivation changes every new key's initial adapter, and so every replay
        assertThat(InstantLoopFunction.adapterSeed(7L, key)).isEqualTo(PINNED_SEED_A);
    }

    private static final long PINNED_SEED_A = 1960824557893225925L;

    private static Set<String> keys(KeyedOneInputStreamOperatorTestHarness<String, Trajectory, Trajectory> h,
            String state) {
        try (Stream<String> keys = h.getOperator().<String>getKeyedStateBackend().getKeys(state,
                VoidNamespace.INSTANCE)) {
            return keys.collect(Collectors.toSet());
        }
    }

    private static <T> List<T> tail(List<T> list, int from) {
        return new ArrayList<>(list.subList(from, list.size()));
    }
}
