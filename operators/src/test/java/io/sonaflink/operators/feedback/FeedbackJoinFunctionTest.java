package io.sonaflink.operators.feedback;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.SignalSource;
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.testing.KeyedStateProbe;
import io.sonaflink.operators.testing.RocksDbHarnesses;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FeedbackJoinFunctionTest {

    private static final FeedbackJoinConfig CONFIG = new FeedbackJoinConfig(1_000L, 5_000L);
    private static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");

    private final List<KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal, Trajectory>> open =
            new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (var h : open) {
            h.close();
        }
    }

    @Test
    void signalWithinTheHoldAdjustsTheTrajectoryAndStateIsClearedAfterRetention() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.8f)));
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.MISTAKE, SignalSource.AI, 0.5f, null)));
        assertThat(h.extractOutputValues()).isEmpty();

        h.setProcessingTime(1_000);
        assertThat(h.extractOutputValues()).singleElement()
                .satisfies(t -> assertThat(t.quality()).isEqualTo(0.4f)); // 0.8 * (1 - 0.5)
        assertThat(stateEntries(h)).isPositive(); // remembered for late corrections

        h.setProcessingTime(6_000);
        assertThat(stateEntries(h)).isZero();
        assertThat(h.numProcessingTimeTimers()).isZero();
    }

    @Test
    void correctionThatArrivesFirstIsAppliedWhenTheTrajectoryComes() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        float[] target = {1f, 2f, 3f};
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.CORRECTION, SignalSource.HUMAN, 1f, target)));
        h.setProcessingTime(500);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.9f)));
        h.setProcessingTime(1_500);

        assertThat(h.extractOutputValues()).singleElement().satisfies(t -> {
            assertThat(t.target()).containsExactly(target);
            assertThat(t.weight()).isEqualTo(1f);
            assertThat(t.quality()).isZero();
        });
        assertThat(h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS)).isNull();
    }

    @Test
    void lateCorrectionBecomesACorrectiveEventAndLateQualityFeedbackIsReported() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.9f)));
        h.setProcessingTime(1_000);
        float[] target = {0f, 0f, 1f};
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.CORRECTION, SignalSource.AI, 0.5f, target)));
        h.processElement2(new StreamRecord<>(signal("s-2", "t-1", SignalType.POSITIVE, SignalSource.HUMAN, 1f, null)));

        List<Trajectory> out = h.extractOutputValues();
        assertThat(out).hasSize(2);
        assertThat(out.get(0).target()).isNull();
        assertThat(out.get(1).target()).containsExactly(target);
        assertThat(out.get(1).weight()).isEqualTo(0.5f);
        assertThat(h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS))
                .extracting(r -> r.getValue().id())
                .containsExactly("s-2");
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
        assertThat(h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS))
                .extracting(r -> r.getValue().id())
                .containsExactly("s-9");
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

        assertThat(h.extractOutputValues()).singleElement().satisfies(t -> assertThat(t.quality()).isEqualTo(1f));
        assertThat(h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS)).isNullOrEmpty();
    }

    @Test
    void endOfBoundedInputFlushesWaitingTrajectoriesAndReportsOrphans() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.8f)));
        h.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.POSITIVE, SignalSource.HUMAN, 1f, null)));
        h.processElement2(new StreamRecord<>(signal("s-2", "t-404", SignalType.MISTAKE, SignalSource.HUMAN, 1f, null)));

        h.endAllInputs();

        assertThat(h.extractOutputValues()).singleElement().satisfies(t -> assertThat(t.quality()).isEqualTo(1f));
        assertThat(h.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS))
                .extracting(r -> r.getValue().id())
                .containsExactly("s-2");
        assertThat(stateEntries(h)).isZero();
    }

    /** A replayed file reaches the learners in its (time) order, not in the order of the ids. */
    @Test
    void endOfBoundedInputFlushesInEventTimeOrder() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        String[] ids = {"t-9", "t-10", "t-2", "t-100"};
        for (int i = 0; i < ids.length; i++) {
            h.processElement1(new StreamRecord<>(new Trajectory(ids[i], KEY, 100L + i, new float[] {0.1f, 0.2f, 0.3f},
                    "hnsw", Map.of(), Map.of(), null, 0.5f, null, 1f)));
        }
        h.endAllInputs();
        assertThat(h.extractOutputValues()).extracting(Trajectory::id).containsExactly(ids);
    }

    @Test
    void duplicateTrajectoryIsIgnored() throws Exception {
        var h = harness();
        h.setProcessingTime(0);
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.9f)));
        h.processElement1(new StreamRecord<>(trajectory("t-1", 0.1f)));
        h.setProcessingTime(1_000);
        assertThat(h.extractOutputValues()).singleElement().satisfies(t -> assertThat(t.quality()).isEqualTo(0.9f));
    }

    @Test
    void restoredJoinContinuesExactlyWhereTheSnapshotLeftOff() throws Exception {
        var before = harness();
        before.setProcessingTime(0);
        before.processElement1(new StreamRecord<>(trajectory("t-1", 0.8f)));
        before.processElement2(new StreamRecord<>(signal("s-0", "t-2", SignalType.MISTAKE, SignalSource.HUMAN, 1f, null)));
        OperatorSubtaskState snapshot = before.snapshot(1L, 10L);

        var after = harness(snapshot);
        after.setProcessingTime(0);
        after.processElement2(new StreamRecord<>(signal("s-1", "t-1", SignalType.POSITIVE, SignalSource.AI, 0.5f, null)));
        after.setProcessingTime(6_000);

        assertThat(after.extractOutputValues()).singleElement()
                .satisfies(t -> assertThat(t.quality()).isEqualTo(0.9f)); // 0.8 + 0.5 * 0.2
        assertThat(after.getSideOutput(FeedbackJoinFunction.UNMATCHED_SIGNALS))
                .extracting(r -> r.getValue().id())
                .containsExactly("s-0");
    }

    private KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal, Trajectory> harness()
            throws Exception {
        return harness(null);
    }

    private KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal, Trajectory> harness(
            OperatorSubtaskState restore) throws Exception {
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(
                new FeedbackJoinOperator(new FeedbackJoinFunction(CONFIG)),
                Trajectory::id,
                TrainingSignal::trajectoryId,
                Types.STRING);
        open.add(RocksDbHarnesses.open(h, restore));
        return h;
    }

    private static long stateEntries(
            KeyedTwoInputStreamOperatorTestHarness<String, Trajectory, TrainingSignal, Trajectory> h) {
        return KeyedStateProbe.entries(
                (AbstractStreamOperator<?>) h.getOperator(), "pending", "emitted", "early-signals", "timer");
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
