package io.sonaflink.bench;

import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.cycle.BackgroundLearner;
import io.sonaflink.state.cycle.CycleReport;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.sample.TrajectorySample;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One full background learning cycle, {@link BackgroundLearner#runCycle}, over a window of
 * {@value BenchmarkData#WINDOW} trajectories of dimension 256 drawn from {@code k} planted
 * clusters (see {@link BenchmarkData#plantedTrajectories}): quality filter, k-means++ and Lloyd,
 * the merge of pieces into patterns, then BaseLoRA (rank 8) training with EWC++ on the window's
 * 1000 corrective targets. Targets: k = 20 at most 40 ms, k = 100 at most 300 ms.
 *
 * <p>{@code runCycle} starts every invocation from an empty bank and the same fresh BaseLoRA
 * (copied from prepared instances outside the measurement): every pattern is new. {@code
 * refineCycle} starts from the bank that cycle left, as every later window of a key does: k-means
 * warm-starts from the stored patterns and refines them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class BackgroundCycleBenchmark {

    private static final long CYCLE = 1L;

    @Param({"20", "100"})
    public int k;

    private List<TrajectorySample> samples;
    private BackgroundConfig config;
    private long clusteringSeed;
    private ReasoningBank freshBank;
    private ReasoningBank learnedBank;
    private BaseLora freshLora;

    private ReasoningBank bank;
    private BaseLora lora;

    @Setup(Level.Trial)
    public void prepare() {
        samples = BenchmarkData.plantedTrajectories(
                BenchmarkData.WINDOW, BenchmarkData.DIM, k, BenchmarkData.SEED + 31);
        config = BackgroundConfig.DEFAULT.withPatternClusters(k);
        clusteringSeed = BenchmarkData.SEED + 32;
        freshBank = ReasoningBank.create(BenchmarkData.DIM);
        freshLora = BaseLora.create(BenchmarkData.DIM, config.baseLora(), config.ewc(), BenchmarkData.SEED + 33);
        // One cycle outside the measurement checks that the data exercises every stage.
        learnedBank = freshBank.copy();
        CycleReport report = BackgroundLearner.runCycle(
                samples, learnedBank, freshLora.copy(), config, CYCLE, clusteringSeed);
        if (report.qualified() != samples.size()
                || report.merge().inserted() != k
                || report.training().examples() != samples.size() / BenchmarkData.TARGET_EVERY) {
            throw new IllegalStateException("synthetic window does not exercise the full cycle: " + report);
        }
        CycleReport refined = BackgroundLearner.runCycle(
                samples, learnedBank.copy(), freshLora.copy(), config, CYCLE + 1, clusteringSeed);
        if (refined.merge().refined() != k || refined.merge().inserted() != 0) {
            throw new IllegalStateException("a second cycle does not refine the bank: " + refined.merge());
        }
    }

    @Setup(Level.Invocation)
    public void freshState() {
        bank = freshBank.copy();
        lora = freshLora.copy();
    }

    @Benchmark
    public CycleReport runCycle() {
        return BackgroundLearner.runCycle(samples, bank, lora, config, CYCLE, clusteringSeed);
    }

    @Benchmark
    public CycleReport refineCycle(RefineState state) {
        return BackgroundLearner.runCycle(samples, state.bank, state.lora, config, CYCLE + 1, clusteringSeed);
    }

    /** A copy of the bank one cycle left, and a fresh BaseLoRA, per invocation. */
    @State(Scope.Thread)
    public static class RefineState {
        ReasoningBank bank;
        BaseLora lora;

        @Setup(Level.Invocation)
        public void copy(BackgroundCycleBenchmark benchmark) {
            bank = benchmark.learnedBank.copy();
            lora = benchmark.freshLora.copy();
        }
    }
}
