package io.sonaflink.operators.feedback;

import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;

import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Runs a {@link FeedbackJoinFunction} and, when both inputs of a bounded job have ended, flushes
 * every trajectory still waiting for feedback (processing-time timers do not fire by themselves
 * when a bounded job ends, so without this the last trajectories would never be learned from).
 * They are flushed in event-time order (then by id), so a replay of a time-ordered file reaches
 * the learners in file order, whatever order the state backend lists its keys in.
 */
public class FeedbackJoinOperator extends KeyedCoProcessOperator<String, Trajectory, TrainingSignal, Trajectory>
        implements BoundedMultiInput {

    private static final long serialVersionUID = 1L;

    private transient int endedInputs;

    public FeedbackJoinOperator(FeedbackJoinFunction function) {
        super(function);
    }

    @Override
    public void endInput(int inputId) throws Exception {
        if (++endedInputs < 2) {
            return;
        }
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        Set<String> keys = new TreeSet<>();
        for (String state : new String[] {FeedbackJoinFunction.PENDING, FeedbackJoinFunction.EARLY_SIGNALS}) {
            try (Stream<String> stream = backend.getKeys(state, VoidNamespace.INSTANCE)) {
                stream.forEach(keys::add);
            }
        }
        FeedbackJoinFunction function = (FeedbackJoinFunction) getUserFunction();
        Map<String, Long> timestamps = new HashMap<>();
        for (String key : keys) {
            setCurrentKey(key);
            timestamps.put(key, function.pendingTimestamp());
        }
        List<String> order = new ArrayList<>(keys);
        order.sort(Comparator.comparingLong((String key) -> timestamps.get(key)).thenComparing(key -> key));
        TimestampedCollector<Trajectory> collector = new TimestampedCollector<>(output);
        for (String key : order) {
            setCurrentKey(key);
            function.flushAtEndOfInput(collector,
                    s -> output.collect(FeedbackJoinFunction.UNMATCHED_SIGNALS, new StreamRecord<>(s)));
        }
    }
}
