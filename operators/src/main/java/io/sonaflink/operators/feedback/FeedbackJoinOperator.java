package io.sonaflink.operators.feedback;

import io.sonaflink.operators.bundle.KeyAccess;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.SimpleTimerService;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs a {@link FeedbackJoinFunction} with its per-key cursor bundled on the heap (written back
 * before every checkpoint barrier) and, when both inputs of a bounded job have ended, passes on
 * every trajectory still waiting (processing-time timers do not fire by themselves when a bounded
 * job ends, so without this the last trajectories would never reach the background loop).
 *
 * <p>It also keeps the join's clock across restores: each checkpoint records the clock, and a
 * restore resumes it there and registers every key's timer again on it. The time the job was down
 * (and the time between that checkpoint and the failure, which is replayed) does not count against
 * a trajectory's hold and late retention, so the corrections re-read after a recovery of any length
 * find their trajectories, as they would have without the failure.
 */
public class FeedbackJoinOperator
        extends KeyedCoProcessOperator<String, Trajectory, TrainingSignal, Either<Trajectory, Trajectory>>
        implements BoundedMultiInput {

    private static final long serialVersionUID = 2L;

    /** The join's clock at each checkpoint (operator state, one entry per subtask). */
    static final ListStateDescriptor<Long> CLOCK = new ListStateDescriptor<>("join-clock", Types.LONG);

    private final FeedbackJoinFunction join;
    private final int bundleKeys;
    private transient int endedInputs;
    private transient ListState<Long> clockAtCheckpoint;
    private transient Long restoredClock;

    public FeedbackJoinOperator(FeedbackJoinFunction join, int bundleKeys) {
        super(join);
        this.join = join;
        this.bundleKeys = bundleKeys;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        clockAtCheckpoint = context.getOperatorStateStore().getUnionListState(CLOCK);
        if (context.isRestored()) {
            for (Long clock : clockAtCheckpoint.get()) { // every subtask's, after a rescale too
                restoredClock = restoredClock == null ? clock : Math.max(restoredClock, clock);
            }
        }
    }

    @Override
    public void open() throws Exception {
        join.bundleState(KeyAccess.of(this), bundleKeys);
        super.open();
        if (restoredClock != null) { // absent in the state of releases up to 0.3: real time, as then
            join.resumeClock(restoredClock, getProcessingTimeService().getCurrentProcessingTime());
            TimerService timers = new SimpleTimerService(
                    getInternalTimerService("user-timers", VoidNamespaceSerializer.INSTANCE, this));
            for (String key : keys()) {
                setCurrentKey(key);
                join.rescheduleAfterRestore(timers);
            }
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        join.flushBundle();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        clockAtCheckpoint.update(List.of(join.joinClock(getProcessingTimeService().getCurrentProcessingTime())));
    }

    private List<String> keys() throws Exception {
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        try (Stream<String> stream = backend.getKeys(FeedbackJoinFunction.CURSOR, VoidNamespace.INSTANCE)) {
            return stream.sorted().collect(Collectors.toList());
        }
    }

    @Override
    public void endInput(int inputId) throws Exception {
        if (++endedInputs < 2) {
            return;
        }
        join.flushBundle();
        List<String> keys = keys();
        TimestampedCollector<Either<Trajectory, Trajectory>> collector = new TimestampedCollector<>(output);
        collector.eraseTimestamp();
        for (String key : keys) {
            setCurrentKey(key);
            join.flushAtEndOfInput(key, collector,
                    letter -> output.collect(FeedbackJoinFunction.UNMATCHED_SIGNALS, new StreamRecord<>(letter)));
        }
        join.flushBundle();
    }
}
