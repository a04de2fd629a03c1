package io.sonaflink.state.serialization;

import io.sonaflink.state.ewc.EwcPlusPlus;
import io.sonaflink.state.lora.AdamOptimizer;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.LoraAdapter;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** Format of {@link BaseLora}. v1: adapter, optimizer, ewc (each nested), randomState, cycles. */
public final class BaseLoraCodec extends VersionedCodec<BaseLora> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;
    private static final LoraAdapterCodec ADAPTER = new LoraAdapterCodec();
    private static final AdamOptimizerCodec OPTIMIZER = new AdamOptimizerCodec();
    private static final EwcPlusPlusCodec EWC = new EwcPlusPlusCodec();

    public BaseLoraCodec() {
        super(VERSION);
    }

    @Override
    public void write(BaseLora value, DataOutput out) throws IOException {
        CodecIO.writeNested(ADAPTER, value.adapter(), out);
        CodecIO.writeNested(OPTIMIZER, value.optimizer(), out);
        CodecIO.writeNested(EWC, value.ewc(), out);
        out.writeLong(value.randomState());
        out.writeLong(value.cycles());
    }

    @Override
    protected BaseLora readVersion(DataInput in, int version) throws IOException {
        LoraAdapter adapter = CodecIO.readNested(ADAPTER, in);
        AdamOptimizer optimizer = CodecIO.readNested(OPTIMIZER, in);
        EwcPlusPlus ewc = CodecIO.readNested(EWC, in);
        long randomState = in.readLong();
        long cycles = in.readLong();
        return new BaseLora(adapter, optimizer, ewc, randomState, cycles);
    }

    @Override
    public BaseLora copy(BaseLora value) {
        return value.copy();
    }
}
