package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.state.serialization.CodecIO;
import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Versioned binary format of {@link GateKeyState}.
 *
 * <ul>
 *   <li>v2: nullable key, held-out written and capacity, qualities written and capacity, tasks remembered,
 *       trajectories, quality sum, MicroLoRA candidate flushes, corrections and loss since the
 *       candidate, pending timer, last change timestamp, then a count of lineages, each as kind
 *       name, published, watched version, baseline quality, watched count, watched quality sum,
 *       held-out watched version and count, served, alternative and identity loss sums.
 *   <li>v1 (release 0.1): the rings' positions and the lineages' first six fields. Read with no
 *       remembered task, no held-out watch and empty instant-loop bookkeeping (the instant loop
 *       ran in its own operator then).
 * </ul>
 *
 * Kinds are named, so adding a kind keeps old savepoints readable.
 */
public final class GateKeyStateCodec extends VersionedCodec<GateKeyState> {

    private static final long serialVersionUID = 1L;

    public static final TypeInformation<GateKeyState> TYPE =
            new CodecTypeInformation<>(GateKeyState.class, new GateKeyStateCodec());

    /** v3: v2 and the key's own pin at the end. */
    public GateKeyStateCodec() {
        super(3);
    }

    @Override
    public void write(GateKeyState s, DataOutput out) throws IOException {
        out.writeBoolean(s.key != null);
        if (s.key != null) {
            EventCodecs.writeKey(s.key, out);
        }
        out.writeLong(s.heldOutWritten);
        out.writeInt(s.heldOutCapacity);
        out.writeLong(s.qualitiesWritten);
        out.writeInt(s.qualityCapacity);
        out.writeLong(s.tasksRemembered);
        out.writeLong(s.trajectories);
        out.writeDouble(s.qualitySum);
        out.writeLong(s.microCandidateFlushes);
        out.writeLong(s.correctionsSinceCandidate);
        out.writeDouble(s.lossSinceCandidate);
        out.writeLong(s.pendingTimer);
        out.writeLong(s.lastChangeTimestamp);
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
            out.writeLong(l.heldOutWatchedVersion);
            out.writeLong(l.heldOutWatchedCount);
            out.writeDouble(l.heldOutServedLoss);
            out.writeDouble(l.heldOutAlternativeLoss);
            out.writeDouble(l.heldOutIdentityLoss);
        }
        out.writeBoolean(s.pinned);
    }

    @Override
    protected GateKeyState readVersion(DataInput in, int version) throws IOException {
        GateKeyState s = new GateKeyState();
        if (version >= 2 && in.readBoolean()) {
            s.key = EventCodecs.readKey(in);
        }
        s.heldOutWritten = in.readLong();
        s.heldOutCapacity = in.readInt();
        s.qualitiesWritten = in.readLong();
        s.qualityCapacity = in.readInt();
        if (version >= 2) {
            s.tasksRemembered = in.readLong();
            s.trajectories = in.readLong();
            s.qualitySum = in.readDouble();
            s.microCandidateFlushes = in.readLong();
            s.correctionsSinceCandidate = in.readLong();
            s.lossSinceCandidate = in.readDouble();
            s.pendingTimer = in.readLong();
            s.lastChangeTimestamp = in.readLong();
        }
        int count = CodecIO.readLength(in);
        for (int i = 0; i < count; i++) {
            GateKeyState.Lineage l = s.lineage(AdapterKind.valueOf(in.readUTF()));
            l.published = in.readLong();
            l.watchedVersion = in.readLong();
            l.baselineQuality = in.readDouble();
            l.watchedCount = in.readLong();
            l.watchedQualitySum = in.readDouble();
            if (version >= 2) {
                l.heldOutWatchedVersion = in.readLong();
                l.heldOutWatchedCount = in.readLong();
                l.heldOutServedLoss = in.readDouble();
                l.heldOutAlternativeLoss = in.readDouble();
                l.heldOutIdentityLoss = in.readDouble();
            }
        }
        s.pinned = version >= 3 && in.readBoolean();
        return s;
    }

    /** A deep copy, by a round trip through the current format (the record is small and flat). */
    @Override
    public GateKeyState copy(GateKeyState s) {
        try {
            DataOutputSerializer out = new DataOutputSerializer(256);
            write(s, out);
            return readVersion(new DataInputDeserializer(out.getSharedBuffer(), 0, out.length()), currentVersion());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
