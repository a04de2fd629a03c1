package io.sonaflink.state.serialization;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.MicroLora;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** Format of {@link MicroLora}. v1: adapter (nested), pendingGradient, pendingEvents, eventsSeen, flushes. */
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
        CodecIO.writeBlocks(value.pendingGradient(), out);
        out.writeInt(value.pendingEvents());
        out.writeLong(value.eventsSeen());
        out.writeLong(value.flushes());
    }

    @Override
    protected MicroLora readVersion(DataInput in, int version) throws IOException {
        LoraAdapter adapter = CodecIO.readNested(ADAPTER, in);
        float[][] pendingGradient = CodecIO.readBlocks(in);
        int pendingEvents = in.readInt();
        long eventsSeen = in.readLong();
        long flushes = in.readLong();
        return new MicroLora(adapter, pendingGradient, pendingEvents, eventsSeen, flushes);
    }

    @Override
    public MicroLora copy(MicroLora value) {
        return value.copy();
    }
}
