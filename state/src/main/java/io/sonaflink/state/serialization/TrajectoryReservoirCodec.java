package io.sonaflink.state.serialization;

import io.sonaflink.state.sample.ReservoirSampler;
import io.sonaflink.state.sample.TrajectorySample;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/** Format of a {@link ReservoirSampler} of trajectories. v1: capacity, seed, items (nested list), seen. */
public final class TrajectoryReservoirCodec extends VersionedCodec<ReservoirSampler<TrajectorySample>> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;
    private static final TrajectorySampleCodec SAMPLE = new TrajectorySampleCodec();

    public TrajectoryReservoirCodec() {
        super(VERSION);
    }

    @Override
    public void write(ReservoirSampler<TrajectorySample> value, DataOutput out) throws IOException {
        out.writeInt(value.capacity());
        out.writeLong(value.seed());
        CodecIO.writeNestedList(SAMPLE, value.items(), out);
        out.writeLong(value.seen());
    }

    @Override
    protected ReservoirSampler<TrajectorySample> readVersion(DataInput in, int version) throws IOException {
        int capacity = in.readInt();
        long seed = in.readLong();
        List<TrajectorySample> items = CodecIO.readNestedList(SAMPLE, in);
        long seen = in.readLong();
        return new ReservoirSampler<>(capacity, seed, items, seen);
    }

    @Override
    public ReservoirSampler<TrajectorySample> copy(ReservoirSampler<TrajectorySample> value) {
        return new ReservoirSampler<>(
                value.capacity(), value.seed(), CodecIO.copyList(SAMPLE, value.items()), value.seen());
    }
}
