package io.sonaflink.state.serialization;

import io.sonaflink.state.bank.Pattern;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Format of {@link Pattern}. v1: id, centroid, sampleCount, qualityMean, qualitySquaredDeviations,
 * route, discreteParams, numericParams, createdCycle, updatedCycle.
 */
public final class PatternCodec extends VersionedCodec<Pattern> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;

    public PatternCodec() {
        super(VERSION);
    }

    @Override
    public void write(Pattern value, DataOutput out) throws IOException {
        out.writeLong(value.id());
        CodecIO.writeFloats(value.centroid(), out);
        out.writeLong(value.sampleCount());
        out.writeDouble(value.qualityMean());
        out.writeDouble(value.qualitySquaredDeviations());
        out.writeUTF(value.route());
        CodecIO.writeStringMap(value.discreteParams(), out);
        CodecIO.writeDoubleMap(value.numericParams(), out);
        out.writeLong(value.createdCycle());
        out.writeLong(value.updatedCycle());
    }

    @Override
    protected Pattern readVersion(DataInput in, int version) throws IOException {
        long id = in.readLong();
        float[] centroid = CodecIO.readFloats(in);
        long sampleCount = in.readLong();
        double qualityMean = in.readDouble();
        double qualitySquaredDeviations = in.readDouble();
        String route = in.readUTF();
        Map<String, String> discreteParams = CodecIO.readStringMap(in);
        Map<String, Double> numericParams = CodecIO.readDoubleMap(in);
        long createdCycle = in.readLong();
        long updatedCycle = in.readLong();
        return new Pattern(id, centroid, sampleCount, qualityMean, qualitySquaredDeviations, route,
                discreteParams, numericParams, createdCycle, updatedCycle);
    }

    /** The record's constructor copies both maps; the centroid is cloned here. */
    @Override
    public Pattern copy(Pattern value) {
        return new Pattern(value.id(), value.centroid().clone(), value.sampleCount(), value.qualityMean(),
                value.qualitySquaredDeviations(), value.route(), value.discreteParams(), value.numericParams(),
                value.createdCycle(), value.updatedCycle());
    }
}
