package io.sonaflink.state.serialization;

import io.sonaflink.state.lora.AdamOptimizer;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** Format of {@link AdamOptimizer}. v1: firstMoment, secondMoment, steps. */
public final class AdamOptimizerCodec extends VersionedCodec<AdamOptimizer> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;

    public AdamOptimizerCodec() {
        super(VERSION);
    }

    @Override
    public void write(AdamOptimizer value, DataOutput out) throws IOException {
        CodecIO.writeBlocks(value.firstMoment(), out);
        CodecIO.writeBlocks(value.secondMoment(), out);
        out.writeLong(value.steps());
    }

    @Override
    protected AdamOptimizer readVersion(DataInput in, int version) throws IOException {
        float[][] firstMoment = CodecIO.readBlocks(in);
        float[][] secondMoment = CodecIO.readBlocks(in);
        long steps = in.readLong();
        return new AdamOptimizer(firstMoment, secondMoment, steps);
    }

    @Override
    public AdamOptimizer copy(AdamOptimizer value) {
        return value.copy();
    }
}
