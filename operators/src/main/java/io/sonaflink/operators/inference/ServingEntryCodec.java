package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterUpdateCodec;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Versioned binary format of {@link ServingEntry}. v1: key, part, version, served-with-base,
 * digest, bytes, then 0 (no content), 1 and an adapter update, or 2 and a pattern snapshot.
 */
public final class ServingEntryCodec extends VersionedCodec<ServingEntry> {

    private static final long serialVersionUID = 1L;
    private static final AdapterUpdateCodec ADAPTER = new AdapterUpdateCodec();
    private static final EventCodecs.PatternSnapshotCodec PATTERNS = new EventCodecs.PatternSnapshotCodec();

    public static final TypeInformation<ServingEntry> TYPE =
            new CodecTypeInformation<>(ServingEntry.class, new ServingEntryCodec());

    public ServingEntryCodec() {
        super(1);
    }

    @Override
    public void write(ServingEntry e, DataOutput out) throws IOException {
        EventCodecs.writeKey(e.key(), out);
        out.writeByte(e.part().ordinal());
        out.writeLong(e.version());
        out.writeLong(e.servedWithBase());
        out.writeLong(e.digest());
        out.writeLong(e.bytes());
        if (e.adapter() != null) {
            out.writeByte(1);
            out.writeInt(ADAPTER.currentVersion());
            ADAPTER.write(e.adapter(), out);
        } else if (e.patterns() != null) {
            out.writeByte(2);
            out.writeInt(PATTERNS.currentVersion());
            PATTERNS.write(e.patterns(), out);
        } else {
            out.writeByte(0);
        }
    }

    @Override
    protected ServingEntry readVersion(DataInput in, int version) throws IOException {
        var key = EventCodecs.readKey(in);
        int part = in.readUnsignedByte();
        if (part >= ServingEntry.Part.values().length) {
            throw new IOException("unknown serving part " + part);
        }
        long v = in.readLong();
        long servedWithBase = in.readLong();
        long digest = in.readLong();
        long bytes = in.readLong();
        int content = in.readUnsignedByte();
        return switch (content) {
            case 0 -> new ServingEntry(key, ServingEntry.Part.values()[part], v, servedWithBase, digest, bytes, null,
                    null);
            case 1 -> new ServingEntry(key, ServingEntry.Part.values()[part], v, servedWithBase, digest, bytes,
                    ADAPTER.read(in, in.readInt()), null);
            case 2 -> new ServingEntry(key, ServingEntry.Part.values()[part], v, servedWithBase, digest, bytes, null,
                    PATTERNS.read(in, in.readInt()));
            default -> throw new IOException("unknown serving content " + content);
        };
    }

    @Override
    public ServingEntry copy(ServingEntry e) {
        return e; // immutable: the record and, by contract, the content it holds
    }
}
