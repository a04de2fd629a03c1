package io.sonaflink.state.lora;

import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.ewc.EwcPlusPlus;
import io.sonaflink.state.math.Blocks;
import io.sonaflink.state.math.DeterministicRandom;

import java.util.List;
import java.util.Objects;

/**
 * The background loop's rank-8 adapter: mini-batch Adam over a cycle's batch on the loss plus the
 * EWC++ penalty, with task-boundary detection before each cycle and the task's input sample
 * updated after it (seed 002's cycle order).
 *
 * <p>Deterministic: shuffling and sampling draw from a generator whose state is part of this
 * object, so restoring a checkpoint and replaying the same batch gives the same weights.
 */
public final class BaseLora {

    private final LoraAdapter adapter;
    private final AdamOptimizer optimizer;
    private final EwcPlusPlus ewc;
    private long randomState;
    private long cycles;

    public BaseLora(LoraAdapter adapter, AdamOptimizer optimizer, EwcPlusPlus ewc, long randomState, long cycles) {
        if (!Blocks.sameShape(optimizer.firstMoment(), adapter.weights()) || ewc.dim() != adapter.dim()) {
            throw new IllegalArgumentException("optimizer or EWC state does not match the adapter");
        }
        this.adapter = adapter;
        this.optimizer = optimizer;
        this.ewc = ewc;
        this.randomState = randomState;
        this.cycles = cycles;
    }

    public static BaseLora create(int dim, BaseLoraConfig config, EwcConfig ewcConfig, long seed) {
        LoraAdapter adapter = LoraAdapter.initialize(dim, config.rank(), config.layers(), config.alpha(), seed);
        return new BaseLora(
                adapter,
                AdamOptimizer.create(adapter.weights()),
                EwcPlusPlus.create(dim, ewcConfig),
                DeterministicRandom.mix(seed ^ 0x5DEECE66DL),
                0L);
    }

    /** Runs one learning cycle over {@code examples}. */
    public TrainingReport train(List<TrainingExample> examples, BaseLoraConfig config, EwcConfig ewcConfig) {
        int n = examples.size();
        float[][] theta = adapter.weights();
        if (n == 0) {
            return new TrainingReport(0, Float.NaN, Float.NaN, 0f, Float.NaN, Float.NaN, false, ewc.lambda(),
                    ewc.penalty(adapter), ewc.tasks().size());
        }
        DeterministicRandom random = new DeterministicRandom(randomState);
        LoraWorkspace ws = adapter.newWorkspace();
        float[][] gradient = adapter.newBlocks();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        shuffle(order, random);
        int probe = Math.min(n, config.probeSamples());

        // 1. The loss at the starting weights (on the probe) decides whether a new task began; the
        //    batch gradient's norm is reported with it.
        float lossBefore = 0f;
        for (int s = 0; s < probe; s++) {
            TrainingExample e = examples.get(order[s]);
            lossBefore += adapter.accumulateGradient(e.input(), e.target(), e.weight(), gradient, ws);
        }
        lossBefore /= probe;
        float gradientNorm = (float) (Math.sqrt(Blocks.squaredNorm(gradient)) / probe);
        float statistic = ewc.boundaryStatistic(lossBefore);
        float z = ewc.zScore(statistic, ewcConfig);
        boolean boundary = ewc.observeCycleStart(lossBefore, adapter, ewcConfig);

        // 2. Mini-batch Adam on loss + EWC++ penalty.
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            shuffle(order, random);
            for (int start = 0; start < n; start += config.batchSize()) {
                int end = Math.min(n, start + config.batchSize());
                Blocks.clear(gradient);
                for (int i = start; i < end; i++) {
                    TrainingExample e = examples.get(order[i]);
                    adapter.accumulateGradient(e.input(), e.target(), e.weight(), gradient, ws);
                }
                Blocks.scale(gradient, 1f / (end - start));
                ewc.addPenaltyGradient(adapter, gradient, ws, config.batchSize(), random);
                optimizer.step(theta, gradient, config.learningRate());
            }
        }

        // 3. Loss at the trained weights (on a fresh probe); the batch joins the task's sample.
        shuffle(order, random);
        double lossAfter = 0.0;
        for (int s = 0; s < probe; s++) {
            TrainingExample e = examples.get(order[s]);
            lossAfter += adapter.loss(e.input(), e.target(), e.weight(), ws);
        }
        for (TrainingExample e : examples) {
            ewc.observeInput(e.input(), ewcConfig, random);
        }
        float meanLossAfter = (float) (lossAfter / probe);
        ewc.observeCycleEnd(meanLossAfter, adapter, ewcConfig);
        randomState = random.state();
        cycles++;
        return new TrainingReport(n, lossBefore, meanLossAfter, gradientNorm, statistic, z, boundary, ewc.lambda(),
                ewc.penalty(adapter), ewc.tasks().size());
    }

    /** Mean loss of {@code examples} at the current weights. */
    public float meanLoss(List<TrainingExample> examples) {
        if (examples.isEmpty()) {
            return Float.NaN;
        }
        LoraWorkspace ws = adapter.newWorkspace();
        double sum = 0.0;
        for (TrainingExample e : examples) {
            sum += adapter.loss(e.input(), e.target(), e.weight(), ws);
        }
        return (float) (sum / examples.size());
    }

    private static void shuffle(int[] order, DeterministicRandom random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    public LoraAdapter adapter() {
        return adapter;
    }

    public AdamOptimizer optimizer() {
        return optimizer;
    }

    public EwcPlusPlus ewc() {
        return ewc;
    }

    public long randomState() {
        return randomState;
    }

    public long cycles() {
        return cycles;
    }

    public BaseLora copy() {
        return new BaseLora(adapter.copy(), optimizer.copy(), ewc.copy(), randomState, cycles);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof BaseLora)) {
            return false;
        }
        BaseLora that = (BaseLora) o;
        return randomState == that.randomState
                && cycles == that.cycles
                && adapter.equals(that.adapter)
                && optimizer.equals(that.optimizer)
                && ewc.equals(that.ewc);
    }

    @Override
    public int hashCode() {
        return Objects.hash(adapter, randomState, cycles);
    }
}
