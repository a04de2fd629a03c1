package io.sonaflink.operators.events;

import io.sonaflink.state.math.Blocks;
import io.sonaflink.state.serialization.CodecIO;
import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Versioned binary format of {@link AdapterUpdate}. v1: key, kind, version, parent version, rank,
 * layers, alpha, weight blocks, metrics, created-at.
 */
public final class AdapterUpdateCodec extends VersionedCodec<AdapterUpdate> {

    private static final long serialVersionUID = 1L;

    /** Flink type information of adapter updates, for side outputs, streams and state. */
    public static final TypeInformation<AdapterUpdate> TYPE =
            new CodecTypeInformation<>(AdapterUpdate.class, new AdapterUpdateCodec());

    public AdapterUpdateCodec() {
        super(1);
    }

    @Override
    public void write(AdapterUpdate u, DataOutput out) throws IOException {
        EventCodecs.writeKey(u.key(), out);
        out.writeUTF(u.kind().name());
        out.writeLong(u.version());
        out.writeLong(u.parentVersion());
        out.writeInt(u.rank());
        out.writeInt(u.layers());
        out.writeFloat(u.alpha());
        CodecIO.writeBlocks(u.weights(), out);
        CodecIO.writeDoubleMap(u.metrics(), out);
        out.writeLong(u.createdAt());
    }

    @Override
    protected AdapterUpdate readVersion(DataInput in, int version) throws IOException {
        return new AdapterUpdate(EventCodecs.readKey(in), AdapterKind.valueOf(in.readUTF()), in.readLong(),
                in.readLong(), in.readInt(), in.readInt(), in.readFloat(), CodecIO.readBlocks(in),
                CodecIO.readDoubleMap(in), in.readLong());
    }

    @Override
    public AdapterUpdate copy(AdapterUpdate u) {
        return new AdapterUpdate(u.key(), u.kind(), u.version(), u.parentVersion(), u.rank(), u.layers(), u.alpha(),
                Blocks.copy(u.weights()), u.metrics(), u.createdAt());
    }
}
