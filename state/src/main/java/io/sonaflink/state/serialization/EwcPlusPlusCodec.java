package io.sonaflink.state.serialization;

import io.sonaflink.state.ewc.ConsolidatedTask;
import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.ewc.EwcPlusPlus;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Format of {@link EwcPlusPlus}.
 *
 * <ul>
 *   <li>v2: dim, task count, tasks (each inputs, anchorOutputs, startLoss, endLoss), taskInputs,
 *       taskInputCount, taskInputsSeen, statisticHistory, historySize, historyNext, lambda,
 *       boundariesDetected, currentTaskStartLoss, currentTaskLastLoss.
 *   <li>v1 (release 0.1): fisher blocks, fisherMass, tasks (each anchor weights, fisher, startLoss,
 *       endLoss), gradientNormHistory, historySize, historyNext, lambda, boundariesDetected,
 *       currentTaskStartLoss, currentTaskLastLoss. Read as a learner that keeps its losses and
 *       boundary count but no remembered task (a diagonal Fisher cannot be turned into a task's
 *       input sample; at 0.1's defaults no boundary ever fired, so none is lost in practice), a
 *       fresh history (it held gradient norms, not boundary statistics) and lambda clamped into
 *       the current default range (0.1's 100..15000 was on another scale).
 * </ul>
 */
public final class EwcPlusPlusCodec extends VersionedCodec<EwcPlusPlus> {

    private static final long serialVersionUID = 1L;
    static final int VERSION = 2;

    public EwcPlusPlusCodec() {
        super(VERSION);
    }

    @Override
    public void write(EwcPlusPlus value, DataOutput out) throws IOException {
        out.writeInt(value.dim());
        List<ConsolidatedTask> tasks = value.tasks();
        out.writeInt(tasks.size());
        for (ConsolidatedTask task : tasks) {
            CodecIO.writeBlocks(task.inputs(), out);
            CodecIO.writeBlocks(task.anchorOutputs(), out);
            out.writeFloat(task.startLoss());
            out.writeFloat(task.endLoss());
        }
        CodecIO.writeBlocks(value.taskInputs(), out);
        out.writeInt(value.taskInputCount());
        out.writeLong(value.taskInputsSeen());
        CodecIO.writeFloats(value.statisticHistory(), out);
        out.writeInt(value.historySize());
        out.writeInt(value.historyNext());
        out.writeFloat(value.lambda());
        out.writeLong(value.boundariesDetected());
        out.writeFloat(value.currentTaskStartLoss());
        out.writeFloat(value.currentTaskLastLoss());
    }

    @Override
    protected EwcPlusPlus readVersion(DataInput in, int version) throws IOException {
        return version == 1 ? readVersion1(in) : readVersion2(in);
    }

    private static EwcPlusPlus readVersion2(DataInput in) throws IOException {
        int dim = in.readInt();
        int taskCount = CodecIO.readLength(in);
        List<ConsolidatedTask> tasks = new ArrayList<>(Math.min(taskCount, 1024));
        for (int i = 0; i < taskCount; i++) {
            float[][] inputs = CodecIO.readBlocks(in);
            float[][] anchors = CodecIO.readBlocks(in);
            float startLoss = in.readFloat();
            float endLoss = in.readFloat();
            tasks.add(new ConsolidatedTask(inputs, anchors, startLoss, endLoss));
        }
        float[][] taskInputs = CodecIO.readBlocks(in);
        int taskInputCount = in.readInt();
        long taskInputsSeen = in.readLong();
        float[] history = CodecIO.readFloats(in);
        int historySize = in.readInt();
        int historyNext = in.readInt();
        float lambda = in.readFloat();
        long boundariesDetected = in.readLong();
        float currentTaskStartLoss = in.readFloat();
        float currentTaskLastLoss = in.readFloat();
        return new EwcPlusPlus(dim, tasks, taskInputs, taskInputCount, taskInputsSeen, history, historySize,
                historyNext, lambda, boundariesDetected, currentTaskStartLoss, currentTaskLastLoss);
    }

    private static EwcPlusPlus readVersion1(DataInput in) throws IOException {
        float[][] fisher = CodecIO.readBlocks(in);
        in.readFloat(); // fisherMass
        int taskCount = CodecIO.readLength(in);
        for (int i = 0; i < taskCount; i++) {
            CodecIO.readBlocks(in); // anchor weights
            CodecIO.readBlocks(in); // fisher
            in.readFloat();
            in.readFloat();
        }
        float[] history = CodecIO.readFloats(in);
        in.readInt(); // historySize
        in.readInt(); // historyNext
        float lambda = in.readFloat();
        long boundariesDetected = in.readLong();
        float currentTaskStartLoss = in.readFloat();
        float currentTaskLastLoss = in.readFloat();
        int dim = fisher.length == 0 ? 0 : fisher[0].length;
        EwcConfig defaults = EwcConfig.DEFAULT;
        float clamped = Math.min(Math.max(lambda, defaults.minLambda()), defaults.maxLambda());
        return new EwcPlusPlus(dim, List.of(), new float[defaults.taskMemory()][dim], 0, 0L,
                new float[history.length], 0, 0, clamped, boundariesDetected, currentTaskStartLoss,
                currentTaskLastLoss);
    }

    @Override
    public EwcPlusPlus copy(EwcPlusPlus value) {
        return value.copy();
    }
}
