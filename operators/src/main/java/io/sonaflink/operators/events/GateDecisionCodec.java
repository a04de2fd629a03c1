package io.sonaflink.operators.events;

import io.sonaflink.state.serialization.CodecIO;
import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Versioned binary format of {@link GateDecision}. v1: nullable key, nullable kind, candidate
 * version, decision, published version, reason, retention, nullable control id, timestamp.
 */
public final class GateDecisionCodec extends VersionedCodec<GateDecision> {

    private static final long serialVersionUID = 1L;

    /** Flink type information of gate decisions, for the gate's side output. */
    public static final TypeInformation<GateDecision> TYPE =
            new CodecTypeInformation<>(GateDecision.class, new GateDecisionCodec());

    public GateDecisionCodec() {
        super(1);
    }

    @Override
    public void write(GateDecision d, DataOutput out) throws IOException {
        out.writeBoolean(d.key() != null);
        if (d.key() != null) {
            EventCodecs.writeKey(d.key(), out);
        }
        CodecIO.writeNullableString(d.kind() == null ? null : d.kind().name(), out);
        out.writeLong(d.candidateVersion());
        out.writeUTF(d.decision().name());
        out.writeLong(d.publishedVersion());
        out.writeUTF(d.reason());
        out.writeDouble(d.retention());
        CodecIO.writeNullableString(d.controlId(), out);
        out.writeLong(d.timestamp());
    }

    @Override
    protected GateDecision readVersion(DataInput in, int version) throws IOException {
        AdapterKey key = in.readBoolean() ? EventCodecs.readKey(in) : null;
        String kind = CodecIO.readNullableString(in);
        return new GateDecision(key, kind == null ? null : AdapterKind.valueOf(kind), in.readLong(),
                GateDecisionType.valueOf(in.readUTF()), in.readLong(), in.readUTF(), in.readDouble(),
                CodecIO.readNullableString(in), in.readLong());
    }

    @Override
    public GateDecision copy(GateDecision d) {
        return d; // immutable
    }
}
