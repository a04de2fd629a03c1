package io.sonaflink.operators.instant;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.state.serialization.VersionedCodec;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Format of {@link InstantCounters}. v1: key (tenant, persona, domain), trajectories, quality sum,
 * last published version, corrections since publish, loss since publish, last change timestamp,
 * pending timer.
 */
public final class InstantCountersCodec extends VersionedCodec<InstantCounters> {

    private static final long serialVersionUID = 1L;

    public InstantCountersCodec() {
        super(1);
    }

    @Override
    public void write(InstantCounters c, DataOutput out) throws IOException {
        out.writeUTF(c.key.tenant());
        out.writeUTF(c.key.persona());
        out.writeUTF(c.key.domain());
        out.writeLong(c.trajectories);
        out.writeDouble(c.qualitySum);
        out.writeLong(c.lastPublishedVersion);
        out.writeLong(c.correctionsSincePublish);
        out.writeDouble(c.lossSincePublish);
        out.writeLong(c.lastChangeTimestamp);
        out.writeLong(c.pendingTimer);
    }

    @Override
    protected InstantCounters readVersion(DataInput in, int version) throws IOException {
        return new InstantCounters(new AdapterKey(in.readUTF(), in.readUTF(), in.readUTF()), in.readLong(),
                in.readDouble(), in.readLong(), in.readLong(), in.readDouble(), in.readLong(), in.readLong());
    }

    @Override
    public InstantCounters copy(InstantCounters c) {
        return c.copy();
    }
}
