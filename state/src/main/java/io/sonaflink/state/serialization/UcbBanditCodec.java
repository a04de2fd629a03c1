package io.sonaflink.state.serialization;

import io.sonaflink.state.bandit.UcbBandit;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Format of {@link UcbBandit}. v1: arm count, arms, pulls, rewardSums, totalPulls. */
public final class UcbBanditCodec extends VersionedCodec<UcbBandit> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;

    public UcbBanditCodec() {
        super(VERSION);
    }

    @Override
    public void write(UcbBandit value, DataOutput out) throws IOException {
        List<String> arms = value.arms();
        out.writeInt(arms.size());
        for (String arm : arms) {
            out.writeUTF(arm);
        }
        CodecIO.writeLongs(value.pulls(), out);
        CodecIO.writeDoubles(value.rewardSums(), out);
        out.writeLong(value.totalPulls());
    }

    @Override
    protected UcbBandit readVersion(DataInput in, int version) throws IOException {
        int armCount = CodecIO.readLength(in);
        List<String> arms = new ArrayList<>(Math.min(armCount, 1024));
        for (int i = 0; i < armCount; i++) {
            arms.add(in.readUTF());
        }
        long[] pulls = CodecIO.readLongs(in);
        double[] rewardSums = CodecIO.readDoubles(in);
        long totalPulls = in.readLong();
        return new UcbBandit(arms, pulls, rewardSums, totalPulls);
    }

    @Override
    public UcbBandit copy(UcbBandit value) {
        return value.copy();
    }
}
