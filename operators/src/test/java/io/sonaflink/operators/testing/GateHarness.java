package io.sonaflink.operators.testing;

import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.gate.AdapterGateConfig;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.operators.gate.AdapterGateOperator;
import io.sonaflink.operators.instant.InstantLoopConfig;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.SnapshotType;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFinalizer;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.types.Either;

/**
 * The adapter gate, with its state bundled as in a job ({@link AdapterGateOperator}), under a
 * keyed broadcast harness. A snapshot runs {@code prepareSnapshotPreBarrier} first, as a task does
 * before every barrier (the harness alone does not).
 */
public class GateHarness
        extends KeyedBroadcastOperatorTestHarness<String, Either<Trajectory, AdapterUpdate>, Control, AdapterUpdate> {

    /** Keys bundled at most: small, so that tests with several keys write bundles back on the way. */
    public static final int BUNDLE_KEYS = 4;

    public GateHarness(AdapterGateConfig config, InstantLoopConfig instant, int maxParallelism, int parallelism,
            int subtask) throws Exception {
        super(new AdapterGateOperator(new AdapterGateFunction(config, instant), BUNDLE_KEYS),
                new AdapterGateFunction.InputKey(), Types.STRING, maxParallelism, parallelism, subtask);
    }

    @Override
    public OperatorSnapshotFinalizer snapshotWithLocalState(long checkpointId, long timestamp, SnapshotType type)
            throws Exception {
        prepareSnapshotPreBarrier(checkpointId);
        return super.snapshotWithLocalState(checkpointId, timestamp, type);
    }
}
