package io.sonaflink.state.serialization;

import io.sonaflink.state.ewc.ConsolidatedTask;
import io.sonaflink.state.ewc.EwcPlusPlus;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Format of {@link EwcPlusPlus}. v1: fisher blocks, fisherMass, task count, tasks (each
 * anchor, fisher, startLoss, endLoss), gradientNormHistory, historySize, historyNext, lambda,
 * boundariesDetected, currentTaskStartLoss, currentTaskLastLoss.
 */
public final class EwcPlusPlusCodec extends VersionedCodec<EwcPlusPlus> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 1;

    public EwcPlusPlusCodec() {
        super(VERSION);
    }

    @Override
    public void write(EwcPlusPlus value, DataOutput out) throws IOException {
        CodecIO.writeBlocks(value.fisher(), out);
        out.writeFloat(value.fisherMass());
        List<ConsolidatedTask> tasks = value.tasks();
        out.writeInt(tasks.size());
        for (ConsolidatedTask task : tasks) {
            CodecIO.writeBlocks(task.anchor(), out);
            CodecIO.writeBlocks(task.fisher(), out);
            out.writeFloat(task.startLoss());
            out.writeFloat(task.endLoss());
        }
        CodecIO.writeFloats(value.gradientNormHistory(), out);
        out.writeInt(value.historySize());
        out.writeInt(value.historyNext());
        out.writeFloat(value.lambda());
        out.writeLong(value.boundariesDetected());
        out.writeFloat(value.currentTaskStartLoss());
        out.writeFloat(value.currentTaskLastLoss());
    }

    @Override
    protected EwcPlusPlus readVersion(DataInput in, int version) throws IOException {
        float[][] fisher = CodecIO.readBlocks(in);
        float fisherMass = in.readFloat();
        int taskCount = CodecIO.readLength(in);
        List<ConsolidatedTask> tasks = new ArrayList<>(Math.min(taskCount, 1024));
        for (int i = 0; i < taskCount; i++) {
            float[][] anchor = CodecIO.readBlocks(in);
            float[][] taskFisher = CodecIO.readBlocks(in);
            float startLoss = in.readFloat();
            float endLoss = in.readFloat();
            tasks.add(new ConsolidatedTask(anchor, taskFisher, startLoss, endLoss));
        }
        float[] gradientNormHistory = CodecIO.readFloats(in);
        int historySize = in.readInt();
        int historyNext = in.readInt();
        float lambda = in.readFloat();
        long boundariesDetected = in.readLong();
        float currentTaskStartLoss = in.readFloat();
        float currentTaskLastLoss = in.readFloat();
        return new EwcPlusPlus(
                fisher, fisherMass, tasks, gradientNormHistory, historySize, historyNext,
                lambda, boundariesDetected, currentTaskStartLoss, currentTaskLastLoss);
    }

    @Override
    public EwcPlusPlus copy(EwcPlusPlus value) {
        return value.copy();
    }
}
