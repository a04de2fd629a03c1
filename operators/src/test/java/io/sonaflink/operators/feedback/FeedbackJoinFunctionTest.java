package io.sonaflink.operators.feedback;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.SignalSource;
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.testing.KeyedStateProbe;
import io.sonaflink.operators.testing.RocksDbHarnesses;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.SnapshotType;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFinalizer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;

import static org.assertj.core.api.Assertions.assertThat;

class FeedbackJoinFunctionTest {

    private static final FeedbackJoinConfig CONFIG = new FeedbackJoinConfig(1_000L, 5_000L, 100);
    private static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");
    private static final String[] STATES = {FeedbackJoinFunction.TRAJECTORIES, FeedbackJoinFunction.ARRIVALS,
            FeedbackJoinFunction.CURSOR, FeedbackJoinFunction.EARLY_SIGNALS, FeedbackJoinFunction.EARLY_ARRIVALS};

    private final List<Harness> open = new ArrayList<>();

    private static final class Harness
            extends KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal, Either<Trajectory, Trajectory>> {
        Harness(FeedbackJoinConfig config) throws Exception {
            super(new FeedbackJoinOperator(new FeedbackJoinFunction(config), 16),
                    t -> t.key().asString(), s -> s.key().asString(), Types.STRING);
        }

        @Override
        public void setup() {
            setup(FeedbackJoinFunction.OUTPUT_TYPE.createSerializer(new SerializerConfigImpl()));
        }

        @Override
        public OperatorSnapshotFinalizer snapshotWithLocalState(long checkpointId, long timestamp, SnapshotType type)
                throws Exception {
            prepareSnapshotPreBarrier(checkpointId);
            return super.snapshotWithLocalState(checkpointId, timestamp, type);
        }
    }

    @AfterEach
    void close() throws Exception {
        for (var h : open) {
            h.close();
        }
    }

    @Test
    void signalWithinTheHoldAdjustsTheSettledTrajectoryAndStateIsClearedAfterRetention() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.8f)));
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.MISTAKE, SignalSource.AI, 0.5f, null)));
        assertThat(h.extractOutputValues()).isEmpty(); // no target: nothing to learn now, it waits

        h.setProcessingTime(1_000);
        assertThat(settled(h)).singleElement().satisfies(t -> assertThat(t.quality()).isEqualTo(0.4f)); // 0.8 * 0.5
        assertThat(learnNow(h)).isEmpty();
        assertThat(stateEntries(h)).isPositive(); // remembered for late corrections

        h.setProcessingTime(6_000);
        assertThat(stateEntries(h)).isZero();
        assertThat(h.numProcessingTimeTimers()).isZero();
    }

    /** The instant loop does not wait for the hold: a correction is learned in the event that brings it. */
    @Test
    void correctionsAndTargetsAreLearnedAtOnceAndSettleAfterTheHold() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        float[] carried = {1f, 1f, 1f};
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.9f).withFeedback(0.9f, carried, 1f)));
        assertThat(learnNow(h)).singleElement().satisfies(t -> assertThat(t.target()).containsExactly(carried));

        h.processElement1(new StreamRecord<>(trajectory("t-2", 0.9f)));
        float[] target = {0f, 0f, 1f};
        h.setProcessingTime(10);
        h.processElement2(new StreamRecord<>(signal("s-1", "t-2", SignalType.CORRECTION, SignalSource.HUMAN, 1f, target)));
        assertThat(learnNow(h)).hasSize(2).last().satisfies(t -> {
            assertThat(t.id()).isEqualTo("t-2");
            assertThat(t.target()).containsExactly(target);
        });
        assertThat(settled(h)).isEmpty();

        h.setProcessingTime(1_100);
        assertThat(settled(h)).extracting(Trajectory::id).containsExactly("t-1", "t-2");
        assertThat(settled(h).get(1).target()).containsExactly(target);
    }

    @Test
    void importIsLearnedAndSettledAtOnce() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        float[] input = {0.1f, 0.2f, 0.3f};
        float[] target = {0.3f, 0.2f, 0.1f};
        h.processElement2(new StreamRecord<>(
                new TrainingSignal("i-1", null, KEY, SignalType.IMPORT, SignalSource.HUMAN, 1f, target, input, 5L)));
        assertThat(learnNow(h)).singleElement().satisfies(t -> assertThat(t.embedding()).containsExactly(input));
        assertThat(settled(h)).singleElement().satisfies(t -> assertThat(t.target()).containsExactly(target));
        assertThat(stateEntries(h)).isZero();
    }

    @Test
    void correctionThatArrivesFirstIsAppliedWhenTheTrajectoryComes() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        float[] target = {1f, 2f, 3f};
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.CORRECTION, SignalSource.HUMAN, 1f, target)));
        h.setProcessingTime(500);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.9f)));
        assertThat(learnNow(h)).singleElement().satisfies(t -> assertThat(t.target()).containsExactly(target));
        h.setProcessingTime(1_500);

        assertThat(settled(h)).singleElement().satisfies(t -> {
            assertThat(t.target()).containsExactly(target);
            assertThat(t.weight()).isEqualTo(1f);
            assertThat(t.quality()).isZero();
        });
        assertThat(h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS)).isNull();
    }

    @Test
    void lateCorrectionIsLearnedAndSettledAgainAndLateQualityFeedbackIsReported() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.9f)));
        h.setProcessingTime(1_000);
        float[] target = {0f, 0f, 1f};
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.CORRECTION, SignalSource.AI, 0.5f, target)));
        h.processElement2(new StreamRecord<>(signal("s-2", "t-1", SignalType.POSITIVE, SignalSource.HUMAN, 1f, null)));

        List<Trajectory> out = settled(h);
        assertThat(out).hasSize(2);
        assertThat(out.get(0).target()).isNull();
        assertThat(out.get(1).target()).containsExactly(target);
        assertThat(out.get(1).weight()).isEqualTo(0.5f);
        assertThat(learnNow(h)).singleElement().satisfies(t -> assertThat(t.target()).containsExactly(target));
        assertThat(unmatched(h)).singleElement().satisfies(d -> {
            assertThat(signalId(d)).isEqualTo("s-2");
            assertThat(d.reason()).contains("had moved on");
        });
    }

    @Test
    void signalWhoseTrajectoryNeverArrivesIsReportedAndForgotten() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement2(new StreamRecord<>(signal("s-9", "t-missing", SignalType.MISTAKE, SignalSource.HUMAN, 1f, null)));
        h.setProcessingTime(5_999); // an early signal waits the hold plus the late retention
        assertThat(h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS)).isNullOrEmpty();
        h.setProcessingTime(6_000);

        assertThat(h.extractOutputValues()).isEmpty();
        assertThat(unmatched(h)).singleElement().satisfies(d -> {
            assertThat(signalId(d)).isEqualTo("s-9");
            assertThat(d.reason()).contains("t-missing").contains("6000 ms");
        });
        assertThat(stateEntries(h)).isZero();
        assertThat(h.numProcessingTimeTimers()).isZero();
    }

    /** A backlog read at different speeds: the signal arrives well before its trajectory. */
    @Test
    void signalFarAheadOfItsTrajectoryStillJoins() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.POSITIVE, SignalSource.HUMAN, 1f, null)));
        h.setProcessingTime(4_000); // longer than the hold
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.8f)));
        h.setProcessingTime(5_000);

        assertThat(settled(h)).singleElement().satisfies(t -> assertThat(t.quality()).isEqualTo(1f));
        assertThat(h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS)).isNullOrEmpty();
    }

    /** However fast a key's trajectories come, the join keeps at most its configured number of them. */
    @Test
    void stateIsBoundedPerKeyAndTheOldestMovesOnEarly() throws Exception {
        var h = harness(new FeedbackJoinConfig(1_000L, 5_000L, 3), null);
        h.setProcessingTime(0);
        for (int i = 1; i <= 5; i++) {
            h.processElement1(new StreamRecord<>(trajectory("t-" + i, 0.5f)));
        }
        assertThat(settled(h)).extracting(Trajectory::id).containsExactly("t-1", "t-2"); // pushed out, passed on
        assertThat(KeyedStateProbe.mapSize((AbstractStreamOperator<?>) h.getOperator(), KEY.asString(),
                new MapStateDescriptor<>(FeedbackJoinFunction.TRAJECTORIES, Types.STRING,
                        Types.TUPLE(Types.LONG, EventCodecs.TRAJECTORY)))).isEqualTo(3);
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.CORRECTION, SignalSource.HUMAN, 1f,
                new float[] {1f, 1f, 1f})));
        h.setProcessingTime(6_000);
        assertThat(unmatched(h)).singleElement().satisfies(d -> assertThat(d.reason()).contains("pushed out"));
        assertThat(settled(h)).extracting(Trajectory::id).containsExactly("t-1", "t-2", "t-3", "t-4", "t-5");
    }

    @Test
    void endOfBoundedInputFlushesWaitingTrajectoriesAndReportsOrphans() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.8f)));
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.POSITIVE, SignalSource.HUMAN, 1f, null)));
        h.processElement2(new StreamRecord<>(signal("s-2", "t-404", SignalType.MISTAKE, SignalSource.HUMAN, 1f, null)));

        h.endAllInputs();

        assertThat(settled(h)).singleElement().satisfies(t -> assertThat(t.quality()).isEqualTo(1f));
        assertThat(unmatched(h)).extracting(FeedbackJoinFunctionTest::signalId).containsExactly("s-2");
        assertThat(stateEntries(h)).isZero();
    }

    /** A replayed file reaches the learners in its order. */
    @Test
    void endOfBoundedInputFlushesInArrivalOrder() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        String[] ids = {"t-9", "t-10", "t-2", "t-100"};
        for (int i = 0; i < ids.length; i++) {
            h.processElement1(new StreamRecord<>(new Trajectory(ids[i], KEY, 100L + i, new float[] {0.1f, 0.2f, 0.3f},
                    "hnsw", Map.of(), Map.of(), null, 0.5f, null, 1f)));
        }
        h.endAllInputs();
        assertThat(settled(h)).extracting(Trajectory::id).containsExactly(ids);
    }

    @Test
    void duplicateTrajectoryIsIgnored() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.9f)));
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.1f)));
        h.setProcessingTime(1_000);
        assertThat(settled(h)).singleElement().satisfies(t -> assertThat(t.quality()).isEqualTo(0.9f));
        assertThat(unmatched(h)).singleElement().satisfies(d -> {
            assertThat(d.source()).isEqualTo(SignalRouting.DUPLICATE_SOURCE);
            assertThat(d.reason()).contains("'t-1' is already kept");
            assertThat(new String(d.raw(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"id\":\"t-1\"");
        });
    }

    /**
     * A restore after an outage far longer than hold + late retention: the join's clock resumes
     * where the checkpoint left it, so the correction re-read after the recovery still finds its
     * trajectory (learned at once), the trajectory still settles after its hold, and is forgotten
     * after its retention, each counted in time the job ran.
     */
    @Test
    void aRecoveryOfAnyLengthLosesNoCorrection() throws Exception {
        var before = harness();
        before.setProcessingTime(0);
        before.processElement1(new StreamRecord<>(trajectory("t-1", 0.8f)));
        before.setProcessingTime(500);
        OperatorSubtaskState snapshot = before.snapshot(1L, 500L);

        long restart = 3_600_000; // an hour later
        var after = new Harness(CONFIG);
        after.setStateBackend(new org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend());
        after.setup();
        after.initializeState(snapshot);
        after.setProcessingTime(restart);
        after.open();
        open.add(after);
        float[] target = {1f, 0f, 0f};
        after.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.CORRECTION, SignalSource.HUMAN, 1f,
                target)));

        assertThat(learnNow(after)).singleElement().satisfies(t -> assertThat(t.target()).containsExactly(target));
        assertThat(unmatched(after)).isEmpty();
        after.setProcessingTime(restart + 499);
        assertThat(settled(after)).isEmpty();
        after.setProcessingTime(restart + 500); // 1 000 ms after its arrival, in the time the job ran
        assertThat(settled(after)).singleElement().satisfies(t -> assertThat(t.target()).containsExactly(target));
        after.setProcessingTime(restart + 5_499); // hold + late retention: 6 000 ms after its arrival
        assertThat(stateEntries(after)).isPositive();
        after.setProcessingTime(restart + 5_500);
        assertThat(stateEntries(after)).isZero();
        assertThat(unmatched(after)).isEmpty();
    }

    @Test
    void restoredJoinContinuesExactlyWhereTheSnapshotLeftOff() throws Exception {
        var before = harness();
        before.setProcessingTime(0);
        before.processElement1(new StreamRecord<>(trajectory("t-1", 0.8f)));
        before.processElement2(new StreamRecord<>(signal("s-0", "t-2", SignalType.MISTAKE, SignalSource.HUMAN, 1f, null)));
        OperatorSubtaskState snapshot = before.snapshot(1L, 10L); // the bundled cursor is written before it

        var after = harness(CONFIG, snapshot);
        after.setProcessingTime(0);
        after.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.POSITIVE, SignalSource.AI, 0.5f, null)));
        after.setProcessingTime(6_000);

        assertThat(settled(after)).singleElement()
                .satisfies(t -> assertThat(t.quality()).isEqualTo(0.9f)); // 0.8 + 0.5 * 0.2
        assertThat(unmatched(after)).extracting(FeedbackJoinFunctionTest::signalId).containsExactly("s-0");
        assertThat(stateEntries(after)).isZero();
    }

    /**
     * Holding the latest arrivals on the heap changes nothing the join emits: the same random
     * stream of trajectories and signals over two keys (late, early, unknown, duplicate; more kept
     * than the bound; a restore half-way) gives the same outputs, dead letters and final state with
     * no heap copy, with one smaller than what waits (entries dropped for room) and with one that
     * holds everything.
     */
    @Test
    void theHeapCopyOfTheLatestArrivalsChangesNothing() throws Exception {
        List<String> without = randomRun(0);
        assertThat(without).hasSizeGreaterThan(300);
        assertThat(randomRun(7)).isEqualTo(without);
        assertThat(randomRun(100_000)).isEqualTo(without);
    }

    private List<String> randomRun(int cachedArrivals) throws Exception {
        FeedbackJoinConfig config = new FeedbackJoinConfig(1_000L, 2_000L, 40, cachedArrivals);
        AdapterKey[] keys = {KEY, new AdapterKey("globex", "sales", "quotes")};
        java.util.Random random = new java.util.Random(42);
        List<String> seen = new ArrayList<>();
        var h = harness(config, null);
        long time = 0;
        for (int i = 0; i < 600; i++) {
            if (i == 300) { // a restore half-way: the heap copy starts empty
                collect(h, seen);
                OperatorSubtaskState snapshot = h.snapshot(1L, time);
                h = harness(config, snapshot);
            }
            time += random.nextInt(60);
            h.setProcessingTime(time);
            AdapterKey key = keys[random.nextInt(2)];
            int roll = random.nextInt(10);
            if (roll < 6) {
                int id = random.nextInt(10) == 0 ? Math.max(0, i - 1) : i; // now and then a duplicate
                h.processElement1(new StreamRecord<>(new Trajectory("t-" + id, key, time, new float[] {0.1f, 0.2f, 0.3f},
                        "hnsw", Map.of(), Map.of(), null, 0.5f, null, 1f)));
            } else {
                int target = i - random.nextInt(120) + 5; // mostly earlier trajectories, some not yet seen
                SignalType type = roll < 8 ? SignalType.CORRECTION : SignalType.POSITIVE;
                h.processElement2(new StreamRecord<>(new TrainingSignal("s-" + i, "t-" + target, key, type,
                        SignalSource.HUMAN, 0.5f, type == SignalType.CORRECTION ? new float[] {i, 0f, 1f} : null,
                        null, 2L)));
            }
        }
        h.setProcessingTime(time + 10_000);
        collect(h, seen);
        seen.add("state entries " + stateEntries(h));
        return seen;
    }

    private static void collect(Harness h, List<String> seen) {
        for (Either<Trajectory, Trajectory> e : h.extractOutputValues()) {
            Trajectory t = e.isLeft() ? e.left() : e.right();
            seen.add((e.isLeft() ? "learn " : "settled ") + t.key().asString() + " " + t.id() + " " + t.quality() + " "
                    + java.util.Arrays.toString(t.target()));
        }
        for (DeadLetter d : unmatched(h)) {
            seen.add("unmatched " + signalId(d) + " " + d.reason());
        }
    }

    private Harness harness() throws Exception {
        return harness(CONFIG, null);
    }

    private Harness harness(FeedbackJoinConfig config, OperatorSubtaskState restore) throws Exception {
        var h = new Harness(config);
        open.add(RocksDbHarnesses.open(h, restore));
        return h;
    }

    private static List<Trajectory> settled(Harness h) {
        return h.extractOutputValues().stream().filter(Either::isRight).map(Either::right).toList();
    }

    private static List<Trajectory> learnNow(Harness h) {
        return h.extractOutputValues().stream().filter(Either::isLeft).map(Either::left).toList();
    }

    private static List<DeadLetter> unmatched(Harness h) {
        Queue<StreamRecord<DeadLetter>> side = h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }

    private static String signalId(DeadLetter d) {
        String json = new String(d.raw(), StandardCharsets.UTF_8);
        int start = json.indexOf("\"id\":\"") + 6;
        return json.substring(start, json.indexOf('"', start));
    }

    private static long stateEntries(Harness h) throws Exception {
        h.prepareSnapshotPreBarrier(0L); // write the bundle back first
        return KeyedStateProbe.entries((AbstractStreamOperator<?>) h.getOperator(), STATES);
    }

    private static Trajectory trajectory(String id, float quality) {
        return new Trajectory(id, KEY, 1L, new float[] {0.1f, 0.2f, 0.3f}, "hnsw", Map.of(), Map.of(), null, quality,
                null, 1f);
    }

    private static TrainingSignal signal(
            String id, String trajectoryId, SignalType type, SignalSource source, float weight, float[] target) {
        return new TrainingSignal(id, trajectoryId, KEY, type, source, weight, target, null, 2L);
    }
}
