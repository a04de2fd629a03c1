package io.sonaflink.operators.testing;

import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.gate.AdapterGateFunction;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.SnapshotType;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFinalizer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;

import java.util.List;

/** A {@link BackgroundLoopOperator} under Flink's harness, fed settled trajectories as the join emits them. */
public final class BackgroundHarness extends KeyedOneInputStreamOperatorTestHarness<
        String, Either<Trajectory, Trajectory>, Either<Trajectory, AdapterUpdate>> {

    public BackgroundHarness(BackgroundLoopOperator operator) throws Exception {
        this(operator, 1, 1, 0); // the harness default, which the committed snapshots were written with
    }

    public BackgroundHarness(BackgroundLoopOperator operator, int maxParallelism, int parallelism, int subtask)
            throws Exception {
        super(operator, new JoinedKey(), Types.STRING, maxParallelism, parallelism, subtask);
    }

    @Override
    public void setup() {
        setup(AdapterGateFunction.INPUT_TYPE.createSerializer(new SerializerConfigImpl()));
    }

    /** Writes the bundled state back first, as a task does before every barrier. */
    @Override
    public OperatorSnapshotFinalizer snapshotWithLocalState(long checkpointId, long timestamp, SnapshotType type)
            throws Exception {
        prepareSnapshotPreBarrier(checkpointId);
        return super.snapshotWithLocalState(checkpointId, timestamp, type);
    }

    /** A trajectory after the feedback join's hold. */
    public void settle(Trajectory t) throws Exception {
        processElement(new StreamRecord<>(Either.Right(t)));
    }

    public void settle(Trajectory t, long timestamp) throws Exception {
        processElement(new StreamRecord<>(Either.Right(t), timestamp));
    }

    /** The BaseLoRA candidates emitted so far. */
    public List<AdapterUpdate> candidates() {
        return extractOutputValues().stream().filter(Either::isRight).map(Either::right).toList();
    }

    /** What went on to the gate besides candidates: examples to learn now and qualities to watch. */
    public List<Trajectory> forwarded() {
        return extractOutputValues().stream().filter(Either::isLeft).map(Either::left).toList();
    }

    private static final class JoinedKey implements KeySelector<Either<Trajectory, Trajectory>, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(Either<Trajectory, Trajectory> value) {
            return (value.isLeft() ? value.left() : value.right()).key().asString();
        }
    }
}
