package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.state.serialization.CodecIO;
import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Versioned binary format of {@link GateKeyState}. v1: held-out written and capacity, qualities
 * written and capacity, then a count of lineages, each as kind name, published, watched version,
 * baseline quality, watched count, watched quality sum. Kinds are named, so adding a kind keeps
 * old savepoints readable.
 */
public final class GateKeyStateCodec extends VersionedCodec<GateKeyState> {

    private static final long serialVersionUID = 1L;

    public static final TypeInformation<GateKeyState> TYPE =
            new CodecTypeInformation<>(GateKeyState.class, new GateKeyStateCodec());

    public GateKeyStateCodec() {
        super(1);
    }

    @Override
    public void write(GateKeyState s, DataOutput out) throws IOException {
        out.writeLong(s.heldOutWritten);
        out.writeInt(s.heldOutCapacity);
        out.writeLong(s.qualitiesWritten);
        out.writeInt(s.qualityCapacity);
        AdapterKind[] kinds = AdapterKind.values();
        out.writeInt(kinds.length);
        for (AdapterKind kind : kinds) {
            GateKeyState.Lineage l = s.lineage(kind);
            out.writeUTF(kind.name());
            out.writeLong(l.published);
            out.writeLong(l.watchedVersion);
            out.writeDouble(l.baselineQuality);
            out.writeLong(l.watchedCount);
            out.writeDouble(l.watchedQualitySum);
        }
    }

    @Override
    protected GateKeyState readVersion(DataInput in, int version) throws IOException {
        GateKeyState s = new GateKeyState();
        s.heldOutWritten = in.readLong();
        s.heldOutCapacity = in.readInt();
        s.qualitiesWritten = in.readLong();
        s.qualityCapacity = in.readInt();
        int count = CodecIO.readLength(in);
        for (int i = 0; i < count; i++) {
            GateKeyState.Lineage l = s.lineage(AdapterKind.valueOf(in.readUTF()));
            l.published = in.readLong();
            l.watchedVersion = in.readLong();
            l.baselineQuality = in.readDouble();
            l.watchedCount = in.readLong();
            l.watchedQualitySum = in.readDouble();
        }
        return s;
    }

    @Override
    public GateKeyState copy(GateKeyState s) {
        GateKeyState c = new GateKeyState();
        c.heldOutWritten = s.heldOutWritten;
        c.heldOutCapacity = s.heldOutCapacity;
        c.qualitiesWritten = s.qualitiesWritten;
        c.qualityCapacity = s.qualityCapacity;
        for (int i = 0; i < c.lineages.length; i++) {
            GateKeyState.Lineage from = s.lineages[i];
            GateKeyState.Lineage to = c.lineages[i];
            to.published = from.published;
            to.watchedVersion = from.watchedVersion;
            to.baselineQuality = from.baselineQuality;
            to.watchedCount = from.watchedCount;
            to.watchedQualitySum = from.watchedQualitySum;
        }
        return c;
    }
}
