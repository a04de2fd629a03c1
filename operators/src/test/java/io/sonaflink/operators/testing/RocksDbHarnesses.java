package io.sonaflink.operators.testing;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/** Opens operator test harnesses on the RocksDB backend, the job's default. */
public final class RocksDbHarnesses {

    private RocksDbHarnesses() {}

    /** Sets up and opens {@code harness} on RocksDB, restored from {@code restore} when not null. */
    public static <H extends AbstractStreamOperatorTestHarness<?>> H open(H harness, OperatorSubtaskState restore)
            throws Exception {
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        harness.setup();
        if (restore != null) {
            harness.initializeState(restore);
        }
        harness.open();
        return harness;
    }
}
