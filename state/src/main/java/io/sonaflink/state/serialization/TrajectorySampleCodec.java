package io.sonaflink.state.serialization;

import io.sonaflink.state.sample.TrajectorySample;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Format of {@link TrajectorySample}. v1: embedding, target (length -1 when null), weight, quality,
 * route, discreteParams, numericParams.
 */
public final class TrajectorySampleCodec extends VersionedCodec<TrajectorySample> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;

    public TrajectorySampleCodec() {
        super(VERSION);
    }

    @Override
    public void write(TrajectorySample value, DataOutput out) throws IOException {
        CodecIO.writeFloats(value.embedding(), out);
        CodecIO.writeNullableFloats(value.target(), out);
        out.writeFloat(value.weight());
        out.writeFloat(value.quality());
        out.writeUTF(value.route());
        CodecIO.writeStringMap(value.discreteParams(), out);
        CodecIO.writeDoubleMap(value.numericParams(), out);
    }

    @Override
    protected TrajectorySample readVersion(DataInput in, int version) throws IOException {
        float[] embedding = CodecIO.readFloats(in);
        float[] target = CodecIO.readNullableFloats(in);
        float weight = in.readFloat();
        float quality = in.readFloat();
        String route = in.readUTF();
        Map<String, String> discreteParams = CodecIO.readStringMap(in);
        Map<String, Double> numericParams = CodecIO.readDoubleMap(in);
        return new TrajectorySample(embedding, target, weight, quality, route, discreteParams, numericParams);
    }

    /** The record's constructor copies both maps; the arrays are cloned here. */
    @Override
    public TrajectorySample copy(TrajectorySample value) {
        float[] target = value.target() == null ? null : value.target().clone();
        return new TrajectorySample(value.embedding().clone(), target, value.weight(), value.quality(),
                value.route(), value.discreteParams(), value.numericParams());
    }
}
