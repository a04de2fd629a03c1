package io.sonaflink.state.serialization;

import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/** Format of {@link ReasoningBank} (its search index is rebuilt). v1: dim, patterns (nested list), nextId. */
public final class ReasoningBankCodec extends VersionedCodec<ReasoningBank> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;
    private static final PatternCodec PATTERN = new PatternCodec();

    public ReasoningBankCodec() {
        super(VERSION);
    }

    @Override
    public void write(ReasoningBank value, DataOutput out) throws IOException {
        out.writeInt(value.dim());
        CodecIO.writeNestedList(PATTERN, value.patterns(), out);
        out.writeLong(value.nextId());
    }

    @Override
    protected ReasoningBank readVersion(DataInput in, int version) throws IOException {
        int dim = in.readInt();
        List<Pattern> patterns = CodecIO.readNestedList(PATTERN, in);
        long nextId = in.readLong();
        return new ReasoningBank(dim, patterns, nextId);
    }

    /** Unlike {@link ReasoningBank#copy()}, shares no pattern centroid with {@code value}. */
    @Override
    public ReasoningBank copy(ReasoningBank value) {
        return new ReasoningBank(value.dim(), CodecIO.copyList(PATTERN, value.patterns()), value.nextId());
    }
}
