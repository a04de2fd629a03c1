package io.sonaflink.operators.gate;

import io.sonaflink.operators.bundle.KeyAccess;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.Trajectory;

import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;

import java.util.Arrays;

/**
 * Runs an {@link AdapterGateFunction} with its per-event state bundled on the heap: the key's
 * gate record and MicroLoRA are read from the state backend once per key between checkpoints and
 * written back before every barrier ({@link #prepareSnapshotPreBarrier}), before a command (which
 * reads the backend for every key it applies to), and when more than {@code bundleKeys} keys are
 * held. On RocksDB this takes the two reads and two writes of about 4 KB out of every correction.
 */
public class AdapterGateOperator
        extends CoBroadcastWithKeyedOperator<String, Either<Trajectory, AdapterUpdate>, Control, AdapterUpdate> {

    private static final long serialVersionUID = 1L;

    private final AdapterGateFunction gate;
    private final int bundleKeys;

    public AdapterGateOperator(AdapterGateFunction gate, int bundleKeys) {
        super(gate, Arrays.asList(AdapterGateFunction.broadcastStateDescriptors()));
        if (bundleKeys < 1) {
            throw new IllegalArgumentException("bundleKeys must be positive, got " + bundleKeys);
        }
        this.gate = gate;
        this.bundleKeys = bundleKeys;
    }

    @Override
    public void open() throws Exception {
        gate.bundleState(KeyAccess.of(this), bundleKeys);
        super.open();
    }

    @Override
    public void processElement2(StreamRecord<Control> element) throws Exception {
        gate.flushBundle();
        super.processElement2(element);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        gate.flushBundle();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        gate.flushBundle();
        super.finish();
    }
}
