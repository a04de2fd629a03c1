package io.sonaflink.jobs.kafka;

import io.sonaflink.operators.events.RawRecord;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Passes records through and fails the job once, right after the first checkpoint that
 * completes once records have flowed; then counts the checkpoints that complete after the
 * recovery. Static state: one MiniCluster test at a time, in one JVM.
 */
final class FailOnceAfterCheckpoint implements MapFunction<RawRecord, RawRecord>, CheckpointListener {

    private static final long serialVersionUID = 1L;

    static final AtomicBoolean FAILED = new AtomicBoolean();
    static final AtomicInteger CHECKPOINTS_AFTER_RECOVERY = new AtomicInteger();

    private transient long seen;

    static void reset() {
        FAILED.set(false);
        CHECKPOINTS_AFTER_RECOVERY.set(0);
    }

    @Override
    public RawRecord map(RawRecord value) {
        seen++;
        return value;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        if (FAILED.get()) {
            CHECKPOINTS_AFTER_RECOVERY.incrementAndGet();
        } else if (seen > 0) {
            FAILED.set(true);
            throw new IllegalStateException("injected failure after checkpoint " + checkpointId);
        }
    }
}
