package io.sonaflink.bench;

import io.sonaflink.connectors.registry.RegistryServingStore;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.inference.InferenceConfig;
import io.sonaflink.operators.inference.InferenceDevice;
import io.sonaflink.operators.inference.InferenceOperator;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bank.ReasoningBank;

import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.Locale;

/**
 * What one inference task holds on its heap and writes into each checkpoint for {@code keys} keys
 * at d = 256, each with a MicroLoRA (rank 2), a BaseLoRA (rank 8) and a bank of 100 patterns (the
 * {@link InferenceOperatorBenchmark} entries, a distinct copy per key, as deserialised broadcast
 * elements are): {@code inline} holds every part in the broadcast state (no registry), {@code
 * compact} names them there (version, digest, size) and keeps content only in the task's bounded
 * cache (default 256 MB; the registry it would read back from is an empty directory, never read).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.sonaflink.bench.ServingFootprint <keys>
 * <inline|compact>}; heap is what a full GC leaves, minus what it left before the operator opened.
 */
public final class ServingFootprint {

    private ServingFootprint() {}

    public static void main(String[] args) throws Exception {
        int keys = Integer.parseInt(args[0]);
        boolean compact = args[1].equals("compact");
        InferenceConfig config = new InferenceConfig(RouteAdvisor.DEFAULT, 1, 5, InferenceDevice.JAVA, 64);
        RegistryServingStore store = compact
                ? new RegistryServingStore(Files.createTempDirectory("registry").toUri().toString()) : null;
        long before = heapAfterGc();
        try (var harness = new TwoInputStreamOperatorTestHarness<Query,
                Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>, Response>(new InferenceOperator(config, store))) {
            // checkpoints into files, as a cluster's are (a memory-backed one refuses more than 5 MB)
            harness.setCheckpointStorage(new FileSystemCheckpointStorage(
                    Files.createTempDirectory("checkpoints").toUri()));
            harness.open();
            ReasoningBank bank = BenchmarkData.patternBank(100, BenchmarkData.DIM, BenchmarkData.SEED + 31);
            var patterns = new EventCodecs.PatternSnapshotCodec();
            for (int k = 0; k < keys; k++) {
                AdapterKey key = new AdapterKey("tenant-" + k, "persona", "domain");
                for (var entry : InferenceOperatorBenchmark.entries(key, bank, k)) {
                    harness.processElement2(new StreamRecord<>(entry.isLeft() ? entry
                            : InferenceOperator.patterns(patterns.copy(entry.right())), 0L));
                }
            }
            long heap = heapAfterGc() - before;
            long checkpoint = harness.snapshot(1L, 1L).getStateSize();
            System.out.printf(Locale.ROOT, "%s, %d keys: heap %.1f MB (%.1f KB per key), checkpoint %.1f MB"
                    + " (%.1f KB per key)%n", compact ? "compact" : "inline", keys, heap / 1e6, heap / 1e3 / keys,
                    checkpoint / 1e6, checkpoint / 1e3 / keys);
        }
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
