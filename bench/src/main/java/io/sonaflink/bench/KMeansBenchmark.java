package io.sonaflink.bench;

import io.sonaflink.state.cluster.KMeans;
import io.sonaflink.state.cluster.KMeansConfig;
import io.sonaflink.state.cluster.KMeansResult;

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

import java.util.concurrent.TimeUnit;

/**
 * {@link KMeans#cluster} alone (k-means++ seeding plus Lloyd with Hamerly bounds, default limits)
 * on the same {@value BenchmarkData#WINDOW} x 256 window and seed as {@link
 * BackgroundCycleBenchmark}, to separate clustering from the rest of the cycle. The input is
 * never modified, so no per-invocation setup is needed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class KMeansBenchmark {

    @Param({"20", "100"})
    public int k;

    private float[] data;
    private int n;
    private long clusteringSeed;

    @Setup(Level.Trial)
    public void prepare() {
        data = BenchmarkData.embeddingMatrix(
                BenchmarkData.plantedTrajectories(BenchmarkData.WINDOW, BenchmarkData.DIM, k, BenchmarkData.SEED + 31),
                BenchmarkData.DIM);
        n = BenchmarkData.WINDOW;
        clusteringSeed = BenchmarkData.SEED + 32;
    }

    @Benchmark
    public KMeansResult cluster() {
        return KMeans.cluster(data, n, BenchmarkData.DIM, k, KMeansConfig.DEFAULT, clusteringSeed);
    }
}
