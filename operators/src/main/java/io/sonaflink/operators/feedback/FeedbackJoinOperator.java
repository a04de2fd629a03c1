package io.sonaflink.operators.feedback;

import io.sonaflink.operators.bundle.KeyAccess;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;

import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
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
 */
public class FeedbackJoinOperator
        extends KeyedCoProcessOperator<String, Trajectory, TrainingSignal, Either<Trajectory, Trajectory>>
        implements BoundedMultiInput {

    private static final long serialVersionUID = 2L;

    private final FeedbackJoinFunction join;
    private final int bundleKeys;
    private transient int endedInputs;

    public FeedbackJoinOperator(FeedbackJoinFunction join, int bundleKeys) {
        super(join);
        this.join = join;
        this.bundleKeys = bundleKeys;
    }

    @Override
    public void open() throws Exception {
        join.bundleState(KeyAccess.of(this), bundleKeys);
        super.open();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        join.flushBundle();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput(int inputId) throws Exception {
        if (++endedInputs < 2) {
            return;
        }
        join.flushBundle();
        List<String> keys;
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        try (Stream<String> stream = backend.getKeys(FeedbackJoinFunction.CURSOR, VoidNamespace.INSTANCE)) {
            keys = stream.sorted().collect(Collectors.toList());
        }
        TimestampedCollector<Either<Trajectory, Trajectory>> collector = new TimestampedCollector<>(output);
        collector.eraseTimestamp();
        for (String key : keys) {
            setCurrentKey(key);
            join.flushAtEndOfInput(collector,
                    letter -> output.collect(FeedbackJoinFunction.UNMATCHED_SIGNALS, new StreamRecord<>(letter)));
        }
        join.flushBundle();
    }
}
