package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.Response;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.lora.LoraAdapter;

import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class InferenceOperatorTest {

    private static final int DIM = 8;
    private static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");
    private static final float[] X = {0.5f, -0.25f, 0.75f, 0.1f, 0f, 0.3f, -0.6f, 0.2f};

    private final List<Harness> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (Harness h : open) {
            h.close();
        }
    }

    @Test
    void withNothingPublishedAQueryIsAnsweredByTheIdentity() throws Exception {
        Harness h = harness(null);
        Response r = ask(h, X);
        assertThat(r.adapted()).containsExactly(X);
        assertThat(r.microVersion()).isZero();
        assertThat(r.baseVersion()).isZero();
        assertThat(r.patternHit()).isFalse();
        assertThat(r.route()).isEmpty();
    }

    @Test
    void bothAdaptersAddTheirChange() throws Exception {
        Harness h = harness(null);
        LoraAdapter micro = adapter(1L, 0.4f);
        LoraAdapter base = adapter(2L, -0.3f);
        h.processBroadcastElement(InferenceOperator.adapter(microOn(1, 1, micro)), 1L);
        h.processBroadcastElement(InferenceOperator.adapter(update(AdapterKind.BASE, 1, base)), 1L);

        Response r = ask(h, X);

        float[] m = micro.apply(X);
        float[] b = base.apply(X);
        for (int j = 0; j < DIM; j++) {
            assertThat(r.adapted()[j]).isCloseTo(X[j] + (m[j] - X[j]) + (b[j] - X[j]), within(1e-6f));
        }
        assertThat(r.adapted()).isNotEqualTo(X);
        assertThat(r.microVersion()).isEqualTo(1);
        assertThat(r.baseVersion()).isEqualTo(1);
    }

    /**
     * A MicroLoRA is the residual of one base version: while a new base has arrived and its rebased
     * MicroLoRA has not, the new base is served alone, never with a residual learned on another one.
     */
    @Test
    void aMicroLoRAIsServedOnlyOnTheBaseItWasLearnedOn() throws Exception {
        Harness h = harness(null);
        LoraAdapter micro = adapter(1L, 0.4f);
        LoraAdapter base1 = adapter(2L, -0.3f);
        LoraAdapter base2 = adapter(3L, 0.2f);
        h.processBroadcastElement(InferenceOperator.adapter(update(AdapterKind.BASE, 1, base1)), 1L);
        h.processBroadcastElement(InferenceOperator.adapter(microOn(3, 1, micro)), 1L);
        h.processBroadcastElement(InferenceOperator.adapter(update(AdapterKind.BASE, 2, base2)), 1L);

        Response r = ask(h, X);

        assertThat(r.baseVersion()).isEqualTo(2);
        assertThat(r.microVersion()).isZero();
        assertThat(r.adapted()).containsExactly(base2.apply(X), within(1e-6f));

        h.processBroadcastElement(InferenceOperator.adapter(microOn(4, 2, micro)), 1L);
        assertThat(ask(h, X).microVersion()).isEqualTo(4);
    }

    /** Broadcast order differs between tasks: a version older than the one held changes nothing. */
    @Test
    void anOlderVersionArrivingLateIsIgnoredAndANewerOneSwapsIn() throws Exception {
        Harness h = harness(null);
        LoraAdapter v1 = adapter(1L, 0.4f);
        LoraAdapter v2 = adapter(2L, 0.8f);
        LoraAdapter v3 = adapter(3L, -0.5f);
        h.processBroadcastElement(InferenceOperator.adapter(microOn(2, 0, v2)), 1L);
        h.processBroadcastElement(InferenceOperator.adapter(microOn(1, 0, v1)), 1L);
        Response afterStale = ask(h, X);
        h.processBroadcastElement(InferenceOperator.adapter(microOn(3, 0, v3)), 1L);
        Response afterSwap = ask(h, X);

        assertThat(afterStale.microVersion()).isEqualTo(2);
        assertThat(afterStale.adapted()).containsExactly(v2.apply(X), within(1e-6f));
        assertThat(afterSwap.microVersion()).isEqualTo(3);
        assertThat(afterSwap.adapted()).containsExactly(v3.apply(X), within(1e-6f));
    }

    @Test
    void aConfidentNearbyPatternAnswersOtherwiseUcbOverThePatternsRoutes() throws Exception {
        Harness h = harness(null);
        float[] centre = {1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f};
        Pattern confident = new Pattern(7, centre, 1000, 0.9, 0.0, "route-a", Map.of("strategy", "beam"),
                Map.of("ef_search", 64.0), 1, 1);
        Pattern unsure = new Pattern(8, new float[] {0f, 1f, 0f, 0f, 0f, 0f, 0f, 0f}, 10, 0.3, 0.9, "route-b",
                Map.of(), Map.of(), 1, 1);
        h.processBroadcastElement(InferenceOperator.patterns(
                new PatternSnapshot(KEY, 2, 1L, List.of(confident, unsure))), 1L);
        // an older cycle arriving late changes nothing
        h.processBroadcastElement(InferenceOperator.patterns(new PatternSnapshot(KEY, 1, 1L, List.of(unsure))), 1L);

        Response hit = ask(h, new float[] {0.9f, 0.1f, 0f, 0f, 0f, 0f, 0f, 0f});
        Response miss = ask(h, new float[] {0f, 0f, 0f, 0f, 0f, 0f, 0f, 1f});

        assertThat(hit.patternHit()).isTrue();
        assertThat(hit.patternId()).isEqualTo(7);
        assertThat(hit.route()).isEqualTo("route-a");
        assertThat(hit.discreteParams()).containsEntry("strategy", "beam");
        assertThat(hit.numericParams()).containsEntry("ef_search", 64.0);
        assertThat(miss.patternHit()).isFalse();
        assertThat(miss.patternId()).isZero();
        // UCB: route-b's 10 samples earn it a larger exploration bonus than route-a's lead in quality
        assertThat(miss.route()).isEqualTo("route-b");
        assertThat(miss.confidence()).isCloseTo(0.3f, within(1e-6f));
    }

    @Test
    void servingStateSurvivesARestore() throws Exception {
        Harness before = harness(null);
        LoraAdapter micro = adapter(1L, 0.4f);
        before.processBroadcastElement(InferenceOperator.adapter(microOn(4, 0, micro)), 1L);
        OperatorSubtaskState snapshot = before.snapshot(1L, 2L);

        Harness after = harness(snapshot);
        Response r = ask(after, X);

        assertThat(r.microVersion()).isEqualTo(4);
        assertThat(r.adapted()).containsExactly(micro.apply(X), within(1e-6f));
    }

    /** The serving state of releases 0.2 and 0.3 (every part held, under its old names) is served after a restore. */
    @Test
    void theServingStateOfAnEarlierReleaseIsMigratedOnRestore() throws Exception {
        LoraAdapter micro = adapter(1L, 0.4f);
        OperatorSubtaskState earlier;
        try (var old = new TwoInputStreamOperatorTestHarness<>(new EarlierServingState(microOn(4, 0, micro)))) {
            old.setup();
            old.open();
            earlier = old.snapshot(1L, 2L);
        }

        Harness after = harness(earlier);
        Response r = ask(after, X);

        assertThat(r.microVersion()).isEqualTo(4);
        assertThat(r.adapted()).containsExactly(micro.apply(X), within(1e-6f));
        assertThat(after.snapshot(2L, 3L).getStateSize()).isPositive();
    }

    /** What a 0.3 inference task held: adapters and banks in broadcast state under the 0.2 names. */
    private static final class EarlierServingState extends org.apache.flink.streaming.api.operators.AbstractStreamOperator<Response>
            implements org.apache.flink.streaming.api.operators.TwoInputStreamOperator<Query, Query, Response> {
        private final AdapterUpdate held;

        EarlierServingState(AdapterUpdate held) {
            this.held = held;
        }

        @Override
        public void initializeState(org.apache.flink.runtime.state.StateInitializationContext context) throws Exception {
            super.initializeState(context);
            context.getOperatorStateStore().getBroadcastState(InferenceOperator.ADAPTERS).put(
                    held.key().asString() + "#micro", held);
            context.getOperatorStateStore().getBroadcastState(InferenceOperator.PATTERNS);
        }

        @Override
        public void processElement1(StreamRecord<Query> element) {}

        @Override
        public void processElement2(StreamRecord<Query> element) {}
    }

    // ---------------------------------------------------------------- batches

    @Test
    void queriesWaitForTheirBatchToFillOrForTheMaxWait() throws Exception {
        Harness h = harness(null, new InferenceConfig(RouteAdvisor.DEFAULT, 3, 10, InferenceDevice.JAVA, 64));
        h.setProcessingTime(100L);
        h.processElement(query("q1", X), 1L);
        h.processElement(query("q2", X), 1L);
        assertThat(h.extractOutputValues()).isEmpty();
        h.processElement(query("q3", X), 1L);
        assertThat(h.extractOutputValues()).extracting(Response::id).containsExactly("q1", "q2", "q3");

        h.processElement(query("q4", X), 1L);
        h.setProcessingTime(109L);
        assertThat(h.extractOutputValues()).hasSize(3);
        h.setProcessingTime(110L);
        assertThat(h.extractOutputValues()).extracting(Response::id).containsExactly("q1", "q2", "q3", "q4");
    }

    @Test
    void waitingQueriesAreAnsweredBeforeTheCheckpointBarrier() throws Exception {
        Harness h = harness(null, new InferenceConfig(RouteAdvisor.DEFAULT, 100, 60_000, InferenceDevice.JAVA, 64));
        h.processElement(query("q1", X), 1L);
        h.processElement(query("q2", X), 1L);

        h.prepareSnapshotPreBarrier(1L);

        assertThat(h.extractOutputValues()).extracting(Response::id).containsExactly("q1", "q2");
    }

    /** An update arriving while queries wait: the whole batch is served by the newer version. */
    @Test
    void everyRequestOfABatchIsServedByOneVersion() throws Exception {
        Harness h = harness(null, new InferenceConfig(RouteAdvisor.DEFAULT, 3, 60_000, InferenceDevice.JAVA, 64));
        LoraAdapter v1 = adapter(1L, 0.4f);
        LoraAdapter v2 = adapter(2L, -0.7f);
        h.processBroadcastElement(InferenceOperator.adapter(microOn(1, 0, v1)), 1L);
        h.processElement(query("q1", X), 1L);
        h.processElement(query("q2", X), 1L);
        h.processBroadcastElement(InferenceOperator.adapter(microOn(2, 0, v2)), 1L);
        h.processElement(query("q3", X), 1L);

        assertThat(h.extractOutputValues()).hasSize(3).allSatisfy(r -> {
            assertThat(r.microVersion()).isEqualTo(2);
            assertThat(r.adapted()).containsExactly(v2.apply(X), within(1e-6f));
        });
    }

    /** DJL on the CPU answers a mixed batch (keys with both, one or no adapter) as plain Java does. */
    @Test
    void djlAndJavaGiveTheSameAnswers() throws Exception {
        InferenceConfig djl = new InferenceConfig(RouteAdvisor.DEFAULT, 6, 60_000, InferenceDevice.CPU, 1);
        InferenceConfig java = new InferenceConfig(RouteAdvisor.DEFAULT, 6, 60_000, InferenceDevice.JAVA, 1);
        AdapterKey other = new AdapterKey("globex", "sales", "quotes");
        AdapterKey none = new AdapterKey("initech", "it", "tickets");
        List<List<Response>> answers = new ArrayList<>();
        for (InferenceConfig config : List.of(djl, java)) {
            Harness h = harness(null, config);
            h.processBroadcastElement(InferenceOperator.adapter(update(AdapterKind.BASE, 1, adapter(5L, 0.3f))), 1L);
            h.processBroadcastElement(InferenceOperator.adapter(microOn(1, 1, adapter(6L, -0.2f))), 1L);
            h.processBroadcastElement(InferenceOperator.adapter(AdapterUpdate.of(other, AdapterKind.MICRO, 1, 0,
                    adapter(7L, 0.5f), Map.of(AdapterUpdate.METRIC_SERVED_WITH_BASE, 0.0), 1L)), 1L);
            for (int i = 0; i < 6; i++) {
                float[] x = X.clone();
                x[i] += 0.25f * i;
                AdapterKey key = i % 3 == 0 ? KEY : i % 3 == 1 ? other : none;
                h.processElement(new Query("q" + i, key, x, 5L), 5L);
            }
            answers.add(h.extractOutputValues());
        }
        assertThat(answers.get(0)).hasSize(6);
        for (int i = 0; i < 6; i++) {
            Response d = answers.get(0).get(i);
            Response j = answers.get(1).get(i);
            assertThat(d.id()).isEqualTo(j.id());
            assertThat(d.microVersion()).isEqualTo(j.microVersion());
            assertThat(d.baseVersion()).isEqualTo(j.baseVersion());
            assertThat(d.adapted()).containsExactly(j.adapted(), within(1e-5f));
        }
        assertThat(answers.get(1).get(0).adapted()).isNotEqualTo(answers.get(1).get(2).adapted());
    }

    // ---------------------------------------------------------------- plumbing

    private static Query query(String id, float[] x) {
        return new Query(id, KEY, x, 5L);
    }

    private static Response ask(Harness h, float[] x) throws Exception {
        int before = h.extractOutputValues().size();
        h.processElement(new Query("q", KEY, x, 5L), 5L);
        List<Response> out = h.extractOutputValues();
        assertThat(out).hasSize(before + 1);
        return out.get(out.size() - 1);
    }

    /** A swap is timed from the version's publication, not from its arrival at the task. */
    @Test
    void swapsAreTimedFromPublication() {
        ServingCatalog catalog = new ServingCatalog(RouteAdvisor.DEFAULT, InferenceConfig.DEFAULT_CACHE_BYTES);
        AdapterUpdate base = update(AdapterKind.BASE, 1, adapter(1, 0.5f));
        long nanos = 5_000_000_000L;
        assertThat(catalog.installed(KEY.asString(), AdapterKind.BASE, 1, 1_000_000, 1_000_300, nanos)).isEqualTo(300);
        ServingCatalog.Served served = catalog.served(KEY.asString(), ServingEntry.of(base, true), null, DIM,
                null, new ArrayList<>());
        assertThat(catalog.firstServed(KEY.asString(), served, nanos + 50_000_000L)).isEqualTo(350_000_000L);
        assertThat(catalog.firstServed(KEY.asString(), served, nanos + 90_000_000L)).isEqualTo(-1); // not the first
        // a task whose clock is behind the gate's counts the swap from its arrival
        assertThat(catalog.installed(KEY.asString(), AdapterKind.MICRO, 1, 1_000_000, 999_000, nanos)).isZero();
    }

    /** Content kept for a compact entry goes when a newer version replaces it, so stale versions never fill the cache. */
    @Test
    void theContentOfAReplacedVersionIsForgotten() {
        ServingCatalog catalog = new ServingCatalog(RouteAdvisor.DEFAULT, InferenceConfig.DEFAULT_CACHE_BYTES);
        AdapterUpdate v1 = update(AdapterKind.BASE, 1, adapter(1, 0.5f));
        ServingEntry compact = ServingEntry.of(v1, false);
        catalog.keep(compact, v1);
        assertThat(catalog.cache().bytes()).isEqualTo(compact.bytes());

        catalog.forget(compact);

        assertThat(catalog.cache().bytes()).isZero();
        assertThat(compact.inline()).isFalse();
        assertThat(ServingEntry.of(v1, true).adapter()).isSameAs(v1);
    }

    private static AdapterUpdate update(AdapterKind kind, long version, LoraAdapter adapter) {
        return AdapterUpdate.of(KEY, kind, version, version - 1, adapter, Map.of(), 1L);
    }

    /** A MicroLoRA version learned on top of base version {@code base} (0: no base). */
    private static AdapterUpdate microOn(long version, long base, LoraAdapter adapter) {
        return AdapterUpdate.of(KEY, AdapterKind.MICRO, version, version - 1, adapter,
                Map.of(AdapterUpdate.METRIC_SERVED_WITH_BASE, (double) base), 1L);
    }

    /** A rank-2 adapter whose B is not zero, so that it changes its input. */
    private static LoraAdapter adapter(long seed, float b) {
        LoraAdapter a = LoraAdapter.initialize(DIM, 2, 1, 2f, seed);
        float[][] w = a.weights();
        for (int r = w.length / 2; r < w.length; r++) {
            for (int j = 0; j < DIM; j++) {
                w[r][j] = b * (j + r) / DIM;
            }
        }
        return a;
    }

    private Harness harness(OperatorSubtaskState restore) throws Exception {
        return harness(restore, AT_ONCE);
    }

    private Harness harness(OperatorSubtaskState restore, InferenceConfig config) throws Exception {
        Harness h = new Harness(config);
        h.setStateBackend(new EmbeddedRocksDBStateBackend());
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

    /** One query per batch (answered at once), in plain Java. */
    static final InferenceConfig AT_ONCE = new InferenceConfig(RouteAdvisor.DEFAULT, 1, 5, InferenceDevice.JAVA, 64);

    static final class Harness extends TwoInputStreamOperatorTestHarness<
            Query, Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>, Response> {
        Harness(InferenceConfig config) throws Exception {
            super(new InferenceOperator(config));
        }

        void processBroadcastElement(Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot> update, long timestamp) throws Exception {
            processElement2(new StreamRecord<>(update, timestamp));
        }

        void processElement(Query query, long timestamp) throws Exception {
            processElement1(new StreamRecord<>(query, timestamp));
        }
    }
}
