package io.sonaflink.bench;

import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.bank.SimilarPattern;

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
 * ReasoningBank search at d = 256: {@link ReasoningBank#findBest} (top-1, target at most 5 µs
 * over 100 patterns) and {@link ReasoningBank#findSimilar} with k = 5, over banks of 100 and 1000
 * confident, mutually dissimilar patterns built through {@link ReasoningBank#merge}.
 *
 * <p>Queries cycle through {@value #QUERIES} pre-generated vectors, each near a random stored
 * pattern. The bank's search index is built in setup, so the measurement is the steady state of
 * a bank between background cycles. The only allocations are the API's own results.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PatternSearchBenchmark {

    /** Pre-generated queries; a power of two so the cursor wraps with a mask. */
    static final int QUERIES = 1024;

    @Param({"100", "1000"})
    public int patterns;

    private ReasoningBank bank;
    private float[][] queries;
    private int cursor;

    @Setup(Level.Trial)
    public void prepare() {
        bank = BenchmarkData.patternBank(patterns, BenchmarkData.DIM, BenchmarkData.SEED + 21);
        queries = BenchmarkData.queriesNear(bank, QUERIES, BenchmarkData.SEED + 22);
        // Builds the search index outside the measurement.
        if (bank.findBest(queries[0]) == null) {
            throw new IllegalStateException("empty bank");
        }
        cursor = 0;
    }

    private float[] nextQuery() {
        int i = cursor;
        cursor = (i + 1) & (QUERIES - 1);
        return queries[i];
    }

    @Benchmark
    public SimilarPattern findBest() {
        return bank.findBest(nextQuery());
    }

    @Benchmark
    public List<SimilarPattern> findSimilarTop5() {
        return bank.findSimilar(nextQuery(), 5);
    }
}
