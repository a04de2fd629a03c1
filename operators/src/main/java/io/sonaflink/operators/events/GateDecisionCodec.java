package io.sonaflink.operators.events;

import io.sonaflink.state.serialization.CodecIO;
import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * Versioned binary format of {@link GateDecision}. v1: nullable key, nullable kind, candidate
 * version, decision, published version, reason, retention, nullable control id, timestamp. v2: the
 * same, then the metrics (v1 reads with none).
 */
public final class GateDecisionCodec extends VersionedCodec<GateDecision> {

    private static final long serialVersionUID = 1L;

    /** Flink type information of gate decisions, for the gate's side output. */
    public static final TypeInformation<GateDecision> TYPE =
            new CodecTypeInformation<>(GateDecision.class, new GateDecisionCodec());

    public GateDecisionCodec() {
        super(2);
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
        CodecIO.writeDoubleMap(d.metrics(), out);
    }

    @Override
    protected GateDecision readVersion(DataInput in, int version) throws IOException {
        AdapterKey key = in.readBoolean() ? EventCodecs.readKey(in) : null;
        String kind = CodecIO.readNullableString(in);
        long candidateVersion = in.readLong();
        GateDecisionType decision = GateDecisionType.valueOf(in.readUTF());
        long publishedVersion = in.readLong();
        String reason = in.readUTF();
        double retention = in.readDouble();
        String controlId = CodecIO.readNullableString(in);
        long timestamp = in.readLong();
        Map<String, Double> metrics = version >= 2 ? CodecIO.readDoubleMap(in) : Map.of();
        return new GateDecision(key, kind == null ? null : AdapterKind.valueOf(kind), candidateVersion, decision,
                publishedVersion, reason, retention, controlId, timestamp, metrics);
    }

    @Override
    public GateDecision copy(GateDecision d) {
        return d; // immutable
    }
}
