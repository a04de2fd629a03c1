package io.sonaflink.connectors.registry;

import io.sonaflink.connectors.registry.RegistryFixtures.Request;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.inference.InferenceConfig;
import io.sonaflink.operators.inference.InferenceDevice;
import io.sonaflink.operators.inference.InferenceOperator;
import io.sonaflink.operators.inference.ServingDigest;
import io.sonaflink.operators.inference.ServingStore;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bank.Pattern;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.sonaflink.connectors.registry.RegistryFixtures.KEY;
import static io.sonaflink.connectors.registry.RegistryFixtures.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The inference tier reading what its broadcast state only names from a real registry on a local
 * file system, written and committed by the registry sinks.
 */
class RegistryServingStoreTest {

    private static final int DIM = 16;

    @TempDir
    java.nio.file.Path dir;

    private RegistryLayout layout;
    private FileSystem fs;
    private RegistryServingStore store;
    private final List<Harness> open = new ArrayList<>();

    @BeforeEach
    void setUp() {
        layout = new RegistryLayout(Path.fromLocalFile(dir.toFile()));
        fs = FileSystem.getLocalFileSystem();
        store = new RegistryServingStore(layout.root().toString());
    }

    @AfterEach
    void close() throws Exception {
        for (Harness h : open) {
            h.close();
        }
    }

    // ---------------------------------------------------------------- the store

    @Test
    void onlyCommittedVersionsAndBanksCanBeRead() throws Exception {
        AdapterUpdate base = update(AdapterKind.BASE, 1, DIM, 8, 0, 3L);
        PatternSnapshot bank = bank(4);
        AdapterRegistrySink.Writer adapters = new AdapterRegistrySink.Writer(layout, fs, "0-0");
        PatternRegistrySink.Writer banks = new PatternRegistrySink.Writer(layout, fs, "0-0");
        adapters.write(base, null);
        banks.write(bank, null);

        assertThat(store.adapter(KEY, AdapterKind.BASE, 1)).isNull();
        assertThat(store.patterns(KEY, 4)).isNull();

        commitAdapters(adapters);
        commitBanks(banks, 64);

        assertThat(store.adapter(KEY, AdapterKind.BASE, 1)).isEqualTo(base);
        assertThat(store.patterns(KEY, 4)).isEqualTo(bank);
        assertThat(store.adapter(KEY, AdapterKind.MICRO, 1)).isNull();
    }

    @Test
    void aRollbackReadsAsItsTargetsWeightsWithTheSameDigest() throws Exception {
        AdapterUpdate v1 = update(AdapterKind.BASE, 1, DIM, 8, 0, 3L);
        AdapterUpdate v2 = update(AdapterKind.BASE, 2, DIM, 8, 0, 4L);
        AdapterUpdate back = RegistryFixtures.rollback(v1, 3);
        AdapterRegistrySink.Writer writer = new AdapterRegistrySink.Writer(layout, fs, "0-0");
        for (AdapterUpdate u : List.of(v1, v2, back)) {
            writer.write(u, null);
        }
        commitAdapters(writer);

        AdapterUpdate read = store.adapter(KEY, AdapterKind.BASE, 3);
        assertThat(read.weights()).isEqualTo(v1.weights());
        assertThat(ServingDigest.of(read)).isEqualTo(ServingDigest.of(back)).isNotEqualTo(ServingDigest.of(v2));
    }

    @Test
    void aFileThatDoesNotMatchItsManifestIsRefused() throws Exception {
        AdapterRegistrySink.Writer writer = new AdapterRegistrySink.Writer(layout, fs, "0-0");
        writer.write(update(AdapterKind.BASE, 1, DIM, 8, 0, 3L), null);
        commitAdapters(writer);
        java.nio.file.Path file = dir.resolve("acme/support/billing/base/v00000001.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(file, bytes);

        assertThatThrownBy(() -> store.adapter(KEY, AdapterKind.BASE, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("checksum");
    }

    @Test
    void aCommitReplayedKeepsTheFirstBankAndOnlyTheNewestBanksStay() throws Exception {
        PatternRegistrySink.Writer writer = new PatternRegistrySink.Writer(layout, fs, "0-0");
        for (long cycle = 1; cycle <= 5; cycle++) {
            writer.write(bank(cycle), null);
        }
        var ready = writer.prepareCommit();
        commitBanks(ready, 3);
        commitBanks(ready, 3); // Flink commits again after a failure

        assertThat(committedFiles()).containsExactly("acme/support/billing/patterns/c00000003.snapshot",
                "acme/support/billing/patterns/c00000004.snapshot", "acme/support/billing/patterns/c00000005.snapshot");
        assertThat(store.patterns(KEY, 5)).isEqualTo(bank(5));
    }

    // ---------------------------------------------------------------- serving from it

    /**
     * With nothing inline and a cache too small to keep anything but the last part, every query
     * reads what it lacks from the registry; after a restart (nothing cached) as well. The answers
     * are those of a task that holds everything in its state, and its checkpoint is smaller.
     */
    @Test
    void whatTheCacheEvictsOrARestartLosesIsReadBackFromTheRegistry() throws Exception {
        AdapterUpdate base = update(AdapterKind.BASE, 1, DIM, 8, 0, 3L);
        AdapterUpdate micro = update(AdapterKind.MICRO, 2, DIM, 2, 1, 5L);
        PatternSnapshot bank = bank(4);
        publish(base, micro, bank);

        Harness inline = harness(null, new InferenceConfig(RouteAdvisor.DEFAULT, 1, 5, InferenceDevice.JAVA, 64), null);
        Harness compact = harness(null, compact(1, 10_000), store);
        for (Harness h : List.of(inline, compact)) {
            h.processElement2(new StreamRecord<>(InferenceOperator.adapter(base, 1L)));
            h.processElement2(new StreamRecord<>(InferenceOperator.adapter(micro, 1L)));
            h.processElement2(new StreamRecord<>(InferenceOperator.patterns(bank)));
        }
        Query q = new Query("q1", KEY, bank.patterns().get(0).centroid().clone(), 7L);
        Response expected = ask(inline, q, 1).get(0);
        assertThat(expected.baseVersion()).isEqualTo(1);
        assertThat(expected.microVersion()).isEqualTo(2);
        assertThat(expected.patternHit()).isTrue();

        assertSame(ask(compact, q, 1).get(0), expected);
        assertThat(compact.store.count.get()).isPositive(); // it did read

        OperatorSubtaskState inlineSnapshot = inline.snapshot(1L, 1L);
        OperatorSubtaskState compactSnapshot = compact.snapshot(1L, 1L);
        assertThat(compactSnapshot.getStateSize()).isLessThan(inlineSnapshot.getStateSize() / 4);

        Harness restarted = harness(compactSnapshot, compact(InferenceConfig.DEFAULT_CACHE_BYTES, 10_000), store);
        assertSame(ask(restarted, new Query("q2", KEY, q.embedding(), 8L), 1).get(0), expected);
    }

    /** A query whose part is not in the registry yet waits, in the checkpoint too, and is answered once it is. */
    @Test
    void aQueryWaitingForARegistryReadIsKeptInTheCheckpoint() throws Exception {
        AdapterUpdate base = update(AdapterKind.BASE, 1, DIM, 8, 0, 3L);
        Harness before = harness(null, compact(1, 10_000), store);
        before.processElement2(new StreamRecord<>(InferenceOperator.adapter(base, 1L)));
        before.processElement2(new StreamRecord<>(InferenceOperator.adapter(
                update(AdapterKind.MICRO, 2, DIM, 2, 1, 5L), 1L))); // evicts the base's weights
        before.processElement1(new StreamRecord<>(new Query("q1", KEY, new float[DIM], 7L)));
        before.prepareSnapshotPreBarrier(1L);
        assertThat(before.extractOutputValues()).isEmpty(); // the base is not committed: it waits
        OperatorSubtaskState snapshot = before.snapshot(1L, 1L);

        publish(base, update(AdapterKind.MICRO, 2, DIM, 2, 1, 5L), null); // the checkpoint completes
        Harness after = harness(snapshot, compact(InferenceConfig.DEFAULT_CACHE_BYTES, 10_000), store);
        List<Response> answered = await(after, 1);

        assertThat(answered).extracting(Response::id).containsExactly("q1");
        assertThat(answered.get(0).error()).isNull();
        assertThat(answered.get(0).baseVersion()).isEqualTo(1);
    }

    @Test
    void aPartThatCannotBeReadInTimeIsAnsweredWithAnError() throws Exception {
        Harness h = harness(null, compact(1, 50), store);
        h.processElement2(new StreamRecord<>(InferenceOperator.adapter(update(AdapterKind.BASE, 1, DIM, 8, 0, 3L), 1L)));
        h.processElement2(new StreamRecord<>(InferenceOperator.adapter(update(AdapterKind.MICRO, 2, DIM, 2, 1, 5L), 1L)));

        List<Response> answered = ask(h, new Query("q1", KEY, new float[DIM], 7L), 1);

        assertThat(answered.get(0).id()).isEqualTo("q1");
        assertThat(answered.get(0).error()).contains("cannot read", "base v1", "not in the adapter registry");
    }

    /** A job restored without the registry it had cannot serve what only the registry holds: it says so, and runs on. */
    @Test
    void withoutTheRegistryAPartItHoldsIsAnsweredWithAnError() throws Exception {
        Harness before = harness(null, compact(InferenceConfig.DEFAULT_CACHE_BYTES, 10_000), store);
        before.processElement2(new StreamRecord<>(InferenceOperator.adapter(update(AdapterKind.BASE, 1, DIM, 8, 0, 3L), 1L)));
        OperatorSubtaskState snapshot = before.snapshot(1L, 1L);

        Harness after = harness(snapshot, compact(InferenceConfig.DEFAULT_CACHE_BYTES, 10_000), null);
        List<Response> answered = ask(after, new Query("q1", KEY, new float[DIM], 7L), 1);

        assertThat(answered.get(0).error()).contains("base v1", "none is configured");
    }

    // ---------------------------------------------------------------- plumbing

    private static InferenceConfig compact(long cacheBytes, long loadTimeoutMs) {
        return new InferenceConfig(RouteAdvisor.DEFAULT, 1, 5, InferenceDevice.JAVA, 64, cacheBytes, 0, loadTimeoutMs);
    }

    private static void assertSame(Response actual, Response expected) {
        assertThat(actual.error()).isNull();
        assertThat(actual.baseVersion()).isEqualTo(expected.baseVersion());
        assertThat(actual.microVersion()).isEqualTo(expected.microVersion());
        assertThat(actual.adapted()).containsExactly(expected.adapted(), within(1e-6f));
        assertThat(actual.patternId()).isEqualTo(expected.patternId());
        assertThat(actual.route()).isEqualTo(expected.route());
    }

    /** Writes and commits, as the sinks do when a checkpoint completes. */
    private void publish(AdapterUpdate base, AdapterUpdate micro, PatternSnapshot bank) throws Exception {
        AdapterRegistrySink.Writer adapters = new AdapterRegistrySink.Writer(layout, fs, "0-0");
        adapters.write(base, null);
        adapters.write(micro, null);
        commitAdapters(adapters);
        if (bank != null) {
            PatternRegistrySink.Writer banks = new PatternRegistrySink.Writer(layout, fs, "0-0");
            banks.write(bank, null);
            commitBanks(banks, 64);
        }
    }

    private void commitAdapters(AdapterRegistrySink.Writer writer) {
        new AdapterRegistryCommitter(layout, fs, 64, null, null).commit(new ArrayList<>(
                writer.prepareCommit().stream().map(Request<RegistryCommittable>::new).toList()));
    }

    private void commitBanks(PatternRegistrySink.Writer writer, int history) {
        commitBanks(writer.prepareCommit(), history);
    }

    private void commitBanks(java.util.Collection<PatternRegistrySink.Committable> ready, int history) {
        List<Request<PatternRegistrySink.Committable>> requests =
                ready.stream().map(Request<PatternRegistrySink.Committable>::new).toList();
        new PatternRegistrySink.BankCommitter(fs, history).commit(new ArrayList<>(requests));
        assertThat(requests).allSatisfy(r -> assertThat(r.failure).isNull());
    }

    private static PatternSnapshot bank(long cycle) {
        List<Pattern> patterns = new ArrayList<>();
        for (int p = 0; p < 20; p++) {
            float[] centre = new float[DIM];
            centre[p % DIM] = 1f;
            centre[(p + 1) % DIM] = p >= DIM ? 0.5f : 0f;
            patterns.add(new Pattern(p + 1, centre, 1000, 0.9, 0.0, "route-" + p, Map.of("strategy", "beam"),
                    Map.of("ef_search", 64.0), 1, cycle));
        }
        return new PatternSnapshot(KEY, cycle, 1_700_000_000_000L + cycle, patterns);
    }

    private List<String> committedFiles() throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                    .filter(p -> !p.startsWith(RegistryLayout.PENDING)).sorted().toList();
        }
    }

    private List<Response> ask(Harness h, Query q, int answers) throws Exception {
        h.processElement1(new StreamRecord<>(q, q.timestamp()));
        return await(h, answers);
    }

    /** Advances processing time while the task's reader works, until {@code count} responses are out. */
    private static List<Response> await(Harness h, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (h.extractOutputValues().size() < count && System.nanoTime() < deadline) {
            h.store.reads.tryAcquire(5, TimeUnit.MILLISECONDS); // wakes as soon as a read returns
            h.setProcessingTime(h.getProcessingTime() + 1);
        }
        return h.extractOutputValues();
    }

    private Harness harness(OperatorSubtaskState restore, InferenceConfig config, ServingStore store) throws Exception {
        Harness h = new Harness(config, store == null ? null : new Signalling(store));
        SerializerConfigImpl serializers = (SerializerConfigImpl) h.getExecutionConfig().getSerializerConfig();
        serializers.setGenericTypes(false);
        h.setup(EventCodecs.RESPONSE.createSerializer(serializers));
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        open.add(h);
        return h;
    }

    static final class Harness extends TwoInputStreamOperatorTestHarness<
            Query, Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>, Response> {
        final Signalling store;

        Harness(InferenceConfig config, Signalling store) throws Exception {
            super(new InferenceOperator(config, store));
            this.store = store == null ? new Signalling(null) : store;
        }
    }

    /** The real store, telling the test each time a read returns. */
    static final class Signalling implements ServingStore {
        private static final long serialVersionUID = 1L;
        final transient Semaphore reads = new Semaphore(0);
        final transient java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        private final ServingStore store;

        Signalling(ServingStore store) {
            this.store = store;
        }

        @Override
        public AdapterUpdate adapter(io.sonaflink.operators.events.AdapterKey key, AdapterKind kind, long version)
                throws IOException {
            try {
                return store.adapter(key, kind, version);
            } finally {
                count.incrementAndGet();
                reads.release();
            }
        }

        @Override
        public PatternSnapshot patterns(io.sonaflink.operators.events.AdapterKey key, long cycle) throws IOException {
            try {
                return store.patterns(key, cycle);
            } finally {
                count.incrementAndGet();
                reads.release();
            }
        }

        @Override
        public String description() {
            return store.description();
        }
    }
}
