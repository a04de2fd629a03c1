package io.sonaflink.state.serialization;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.MicroLora;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Format of {@link MicroLora}. v1: adapter (nested), pendingEvents, the pending gradient only when
 * pendingEvents &gt; 0 (it is all zeros otherwise, which is every event at {@code flushEvery = 1}),
 * eventsSeen, flushes.
 */
public final class MicroLoraCodec extends VersionedCodec<MicroLora> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;
    private static final LoraAdapterCodec ADAPTER = new LoraAdapterCodec();

    public MicroLoraCodec() {
        super(VERSION);
    }

    @Override
    public void write(MicroLora value, DataOutput out) throws IOException {
        CodecIO.writeNested(ADAPTER, value.adapter(), out);
        out.writeInt(value.pendingEvents());
        if (value.pendingEvents() > 0) {
            CodecIO.writeBlocks(value.pendingGradient(), out);
        }
        out.writeLong(value.eventsSeen());
        out.writeLong(value.flushes());
    }

    @Override
    protected MicroLora readVersion(DataInput in, int version) throws IOException {
        LoraAdapter adapter = CodecIO.readNested(ADAPTER, in);
        int pendingEvents = in.readInt();
        float[][] pendingGradient = pendingEvents > 0 ? CodecIO.readBlocks(in) : adapter.newBlocks();
        long eventsSeen = in.readLong();
        long flushes = in.readLong();
        return new MicroLora(adapter, pendingGradient, pendingEvents, eventsSeen, flushes);
    }

    @Override
    public MicroLora copy(MicroLora value) {
        return value.copy();
    }
}
