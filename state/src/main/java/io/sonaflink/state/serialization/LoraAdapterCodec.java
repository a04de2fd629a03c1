package io.sonaflink.state.serialization;

import io.sonaflink.state.lora.LoraAdapter;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** Format of {@link LoraAdapter}. v1: dim, rank, layers, alpha, weight blocks. */
public final class LoraAdapterCodec extends VersionedCodec<LoraAdapter> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;

    public LoraAdapterCodec() {
        super(VERSION);
    }

    @Override
    public void write(LoraAdapter value, DataOutput out) throws IOException {
        out.writeInt(value.dim());
        out.writeInt(value.rank());
        out.writeInt(value.layers());
        out.writeFloat(value.alpha());
        CodecIO.writeBlocks(value.weights(), out);
    }

    @Override
    protected LoraAdapter readVersion(DataInput in, int version) throws IOException {
        int dim = in.readInt();
        int rank = in.readInt();
        int layers = in.readInt();
        float alpha = in.readFloat();
        float[][] weights = CodecIO.readBlocks(in);
        return new LoraAdapter(dim, rank, layers, alpha, weights);
    }

    @Override
    public LoraAdapter copy(LoraAdapter value) {
        return value.copy();
    }
}
