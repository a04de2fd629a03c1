package io.sonaflink.operators.events;

import io.sonaflink.state.serialization.CodecIO;
import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Versioned binary format of {@link Control}. v1: id, command, nullable key, nullable kind,
 * version, toggles (sorted), thresholds (sorted), timestamp.
 */
public final class ControlCodec extends VersionedCodec<Control> {

    private static final long serialVersionUID = 1L;

    /** Flink type information of control commands. */
    public static final TypeInformation<Control> TYPE = new CodecTypeInformation<>(Control.class, new ControlCodec());

    /** v2: v1 and the {@code ahead} flag at the end. */
    public ControlCodec() {
        super(2);
    }

    @Override
    public void write(Control c, DataOutput out) throws IOException {
        out.writeUTF(c.id());
        out.writeUTF(c.command().name());
        out.writeBoolean(c.key() != null);
        if (c.key() != null) {
            EventCodecs.writeKey(c.key(), out);
        }
        CodecIO.writeNullableString(c.kind() == null ? null : c.kind().name(), out);
        out.writeLong(c.version());
        out.writeInt(c.toggles().size());
        for (Map.Entry<String, Boolean> e : c.toggles().entrySet()) {
            out.writeUTF(e.getKey());
            out.writeBoolean(e.getValue());
        }
        CodecIO.writeDoubleMap(c.thresholds(), out);
        out.writeLong(c.timestamp());
        out.writeBoolean(c.ahead());
    }

    @Override
    protected Control readVersion(DataInput in, int version) throws IOException {
        String id = in.readUTF();
        ControlCommand command = ControlCommand.valueOf(in.readUTF());
        AdapterKey key = in.readBoolean() ? EventCodecs.readKey(in) : null;
        String kind = CodecIO.readNullableString(in);
        long adapterVersion = in.readLong();
        int toggleCount = CodecIO.readLength(in);
        Map<String, Boolean> toggles = new TreeMap<>();
        for (int i = 0; i < toggleCount; i++) {
            toggles.put(in.readUTF(), in.readBoolean());
        }
        Map<String, Double> thresholds = CodecIO.readDoubleMap(in);
        long timestamp = in.readLong();
        boolean ahead = version >= 2 && in.readBoolean();
        return new Control(id, command, key, kind == null ? null : AdapterKind.valueOf(kind), adapterVersion, toggles,
                thresholds, timestamp, ahead);
    }

    @Override
    public Control copy(Control c) {
        return c; // immutable: a record of immutable values and private sorted copies of the maps
    }
}
