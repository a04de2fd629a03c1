package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.AdapterUpdateCodec;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.Response;
import io.sonaflink.state.bandit.RouteRecommendation;
import io.sonaflink.state.serving.LowRankDelta;

import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.TupleTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The inference operator (architecture §4): answers queries with each key's served stack and
 * patterns, which arrive as broadcast state, in micro-batches across keys.
 *
 * <p><b>Batches.</b> Queries are gathered until {@link InferenceConfig#maxBatch} are waiting or the
 * oldest has waited {@link InferenceConfig#maxWaitMs}, and before every checkpoint barrier (so no
 * query is ever held in a checkpoint), then their adapted embeddings are computed in one batched
 * product over the batch's distinct stacks ({@link BatchApply}: DJL on a GPU for batches of at
 * least {@link InferenceConfig#minDeviceBatch}, plain Java otherwise and on CPU-only machines,
 * where it measured faster than DJL on the CPU). Queries are not keyed: every task holds every key's
 * adapters, so one task (one GPU) batches across all keys, and queries reach it without a shuffle.
 *
 * <p><b>One version per request.</b> Broadcast elements may reach the tasks in different orders,
 * so an update is applied only when its version is newer than the one held (idempotent,
 * order-free). Updates and batches run on the task thread one after the other, so a batch is
 * computed entirely between two updates: a request is served by exactly one version of each
 * adapter and never waits for a swap. The MicroLoRA is the residual of one BaseLoRA version and is
 * served only on top of it ({@link AdapterUpdate#servedWithBase()}).
 *
 * <p><b>Compact state.</b> The broadcast state holds per key and part one {@link ServingEntry}:
 * version, digest, size, and the content itself only up to {@link InferenceConfig#inlineBytes} or
 * when there is no {@link ServingStore}. An update arrives with its content, which the task keeps in
 * its bounded {@link ServingCache}, so a swap never waits for a read; content evicted from the cache
 * or lost with a restart is read again from the store (the adapter registry) off the task thread,
 * checked against the digest, while the queries that need it wait (in the checkpoint, if one comes;
 * every other query goes on).
 *
 * <p><b>Measured.</b> {@value #METRIC_QUERY_LATENCY}: a query's arrival at the task to its response;
 * {@value #METRIC_INSTALL_LATENCY}: a version's publication by the gate to its installation on
 * this task, from when on every query of its key is served with it (the swap itself);
 * {@value #METRIC_SWAP_LATENCY}: its publication to the first response served with it, which adds
 * the wait for the key's next query; {@value #METRIC_BATCH_SIZE}.
 */
public final class InferenceOperator extends AbstractStreamOperator<Response>
        implements TwoInputStreamOperator<Query, Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>, Response>, BoundedMultiInput {

    private static final long serialVersionUID = 1L;

    /**
     * What the broadcast side carries: published adapters, each with the time the gate published
     * it (epoch milliseconds; only on this edge, so that the updates themselves, their topic and
     * the registry stay identical on a replay), and pattern snapshots.
     */
    public static final TypeInformation<Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>> SERVING_UPDATE_TYPE =
            new EitherTypeInfo<>(new TupleTypeInfo<>(AdapterUpdateCodec.TYPE, Types.LONG),
                    EventCodecs.PATTERN_SNAPSHOT);

    /** The newest entry per {@code <adapter key>#<part>} ({@link ServingEntry#slot}). */
    public static final MapStateDescriptor<String, ServingEntry> MANIFEST =
            new MapStateDescriptor<>("serving-manifest", Types.STRING, ServingEntryCodec.TYPE);
    /** Releases 0.2 and 0.3: the newest adapter per {@code <adapter key>#<kind>}, weights held; read on restore. */
    public static final MapStateDescriptor<String, AdapterUpdate> ADAPTERS =
            new MapStateDescriptor<>("serving-adapters", Types.STRING, AdapterUpdateCodec.TYPE);
    /** Releases 0.2 and 0.3: the newest pattern snapshot per adapter key; read on restore. */
    public static final MapStateDescriptor<String, PatternSnapshot> PATTERNS =
            new MapStateDescriptor<>("serving-patterns", Types.STRING, EventCodecs.PATTERN_SNAPSHOT);
    /** Queries waiting, at a checkpoint, for a part to be read from the store. */
    static final ListStateDescriptor<Query> WAITING = new ListStateDescriptor<>("inference-waiting", EventCodecs.QUERY);

    public static final String METRIC_QUERIES = "queries";
    public static final String METRIC_PATTERN_HITS = "patternHits";
    public static final String METRIC_ADAPTER_SWAPS = "adapterSwaps";
    public static final String METRIC_STALE_UPDATES = "staleUpdates";
    public static final String METRIC_QUERY_LATENCY = "queryLatencyMs";
    public static final String METRIC_SWAP_LATENCY = "swapLatencyMs";
    public static final String METRIC_INSTALL_LATENCY = "installLatencyMs";
    public static final String METRIC_BATCH_SIZE = "batchSize";
    public static final String METRIC_DEVICE_BATCHES = "deviceBatches";
    public static final String METRIC_DEVICE_FAILURES = "deviceFailures";
    public static final String METRIC_CACHE_BYTES = "servingCacheBytes";
    public static final String METRIC_CACHE_EVICTIONS = "servingCacheEvictions";
    public static final String METRIC_STORE_READS = "storeReads";
    public static final String METRIC_STORE_READ_FAILURES = "storeReadFailures";
    public static final String METRIC_STORE_READ_LATENCY = "storeReadLatencyMs";
    /** How often a task looks for finished reads while one is under way. */
    static final long READ_POLL_MS = 1;
    /** Samples the latency histograms keep. */
    static final int LATENCY_WINDOW = 4096;

    /** This class's own logger (AbstractStreamOperator's LOG is named after Flink's class). */
    private static final Logger INFERENCE_LOG = LoggerFactory.getLogger(InferenceOperator.class);

    private final InferenceConfig config;
    private final ServingStore store;

    private transient BroadcastState<String, ServingEntry> manifest;
    private transient ListState<Query> waitingState;
    private transient List<Query> restoredWaiting;
    private transient ServingCatalog catalog;
    private transient ServingLoader loader;
    /** content slot -> queries waiting for it to be read */
    private transient Map<String, List<Pending>> waiting;
    private transient List<ServingEntry> missing;
    private transient boolean pollSet;
    private transient Counter storeReads;
    private transient Counter storeReadFailures;
    private transient Histogram storeReadLatency;
    private transient BatchApply java;
    private transient BatchApply device;
    private transient List<Pending> pending;
    private transient boolean timerSet;
    private transient Counter queries;
    private transient Counter patternHits;
    private transient Counter adapterSwaps;
    private transient Counter staleUpdates;
    private transient Counter deviceBatches;
    private transient Counter deviceFailures;
    private transient Histogram queryLatency;
    private transient Histogram swapLatency;
    private transient Histogram installLatency;
    private transient Histogram batchSize;

    /** Holds every part in its broadcast state: there is nowhere else to read it from. */
    public InferenceOperator(InferenceConfig config) {
        this(config, null);
    }

    /** @param store where parts larger than {@link InferenceConfig#inlineBytes} are read from, or null */
    public InferenceOperator(InferenceConfig config, ServingStore store) {
        this.config = config;
        this.store = store;
    }

    /** {@code update}, published now: the serving edge's element, made right after the gate. */
    public static Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot> adapter(AdapterUpdate update) {
        return adapter(update, System.currentTimeMillis());
    }

    public static Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot> adapter(AdapterUpdate update,
            long publishedAtMs) {
        return Either.Left(Tuple2.of(update, publishedAtMs));
    }

    public static Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot> patterns(PatternSnapshot snapshot) {
        return Either.Right(snapshot);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        var states = context.getOperatorStateStore();
        manifest = states.getBroadcastState(MANIFEST);
        migrate(states.getBroadcastState(ADAPTERS), ServingEntry::of);
        migrate(states.getBroadcastState(PATTERNS), ServingEntry::of);
        waitingState = states.getListState(WAITING);
        restoredWaiting = new ArrayList<>();
        waitingState.get().forEach(restoredWaiting::add);
    }

    /** Moves what an earlier release held into entries that keep it inline, then forgets the old state. */
    private <T> void migrate(BroadcastState<String, T> old, BiFunction<T, Boolean, ServingEntry> entry)
            throws Exception {
        for (Map.Entry<String, T> e : old.entries()) {
            install(entry.apply(e.getValue(), true));
        }
        old.clear();
    }

    /**
     * Puts {@code entry} into the state when it is newer than what is held, and forgets the cached
     * content of the entry it replaces; whether it was newer.
     */
    private boolean install(ServingEntry entry) throws Exception {
        ServingEntry held = manifest.get(entry.slot());
        if (held != null && entry.version() <= held.version()) {
            return false;
        }
        manifest.put(entry.slot(), entry);
        if (held != null && catalog != null) {
            catalog.forget(held);
        }
        return true;
    }

    @Override
    public void open() throws Exception {
        super.open();
        catalog = new ServingCatalog(config.advisor(), config.cacheBytes());
        pending = new ArrayList<>(config.maxBatch());
        waiting = new HashMap<>();
        missing = new ArrayList<>();
        if (store != null) {
            loader = new ServingLoader(store, config.loadTimeoutMs(),
                    "serving-store-reader-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        }
        java = new BatchApply.Java();
        device = Devices.open(config.device(), INFERENCE_LOG);
        var metrics = getRuntimeContext().getMetricGroup();
        queries = metrics.counter(METRIC_QUERIES);
        patternHits = metrics.counter(METRIC_PATTERN_HITS);
        adapterSwaps = metrics.counter(METRIC_ADAPTER_SWAPS);
        staleUpdates = metrics.counter(METRIC_STALE_UPDATES);
        deviceBatches = metrics.counter(METRIC_DEVICE_BATCHES);
        deviceFailures = metrics.counter(METRIC_DEVICE_FAILURES);
        queryLatency = metrics.histogram(METRIC_QUERY_LATENCY, new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        swapLatency = metrics.histogram(METRIC_SWAP_LATENCY, new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        installLatency = metrics.histogram(METRIC_INSTALL_LATENCY, new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        batchSize = metrics.histogram(METRIC_BATCH_SIZE, new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        storeReads = metrics.counter(METRIC_STORE_READS);
        storeReadFailures = metrics.counter(METRIC_STORE_READ_FAILURES);
        storeReadLatency = metrics.histogram(METRIC_STORE_READ_LATENCY, new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
        metrics.gauge(METRIC_CACHE_BYTES, () -> catalog.cache().bytes());
        metrics.gauge(METRIC_CACHE_EVICTIONS, () -> catalog.cache().evictions());
        for (Query q : restoredWaiting) {
            pending.add(new Pending(q, System.nanoTime()));
        }
        restoredWaiting = null;
        if (!pending.isEmpty()) {
            scheduleFlush();
        }
    }

    @Override
    public void processElement1(StreamRecord<Query> element) throws Exception {
        pending.add(new Pending(element.getValue(), System.nanoTime()));
        if (pending.size() >= config.maxBatch()) {
            flush();
        } else {
            scheduleFlush();
        }
    }

    private void scheduleFlush() {
        if (!timerSet) {
            timerSet = true;
            long now = getProcessingTimeService().getCurrentProcessingTime();
            getProcessingTimeService().registerTimer(now + config.maxWaitMs(), t -> {
                timerSet = false;
                flush();
            });
        }
    }

    @Override
    public void processElement2(StreamRecord<Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot>> element) throws Exception {
        Either<Tuple2<AdapterUpdate, Long>, PatternSnapshot> update = element.getValue();
        if (update.isLeft()) {
            AdapterUpdate u = update.left().f0;
            long publishedAtMs = update.left().f1;
            ServingEntry entry = ServingEntry.of(u, inline(ServingDigest.bytes(u)));
            if (install(entry)) {
                arrived(entry, u);
                // A swap counts from publication (the gate's clock: the same on one host, across
                // hosts as close as their clocks are synchronised).
                installLatency.update(catalog.installed(u.key().asString(), u.kind(), u.version(), publishedAtMs,
                        System.currentTimeMillis(), System.nanoTime()));
                adapterSwaps.inc();
            } else {
                staleUpdates.inc();
            }
        } else {
            PatternSnapshot s = update.right();
            ServingEntry entry = ServingEntry.of(s, s.patterns().isEmpty() || inline(ServingDigest.bytes(s)));
            if (install(entry)) {
                arrived(entry, s);
            } else {
                staleUpdates.inc();
            }
        }
    }

    private boolean inline(long bytes) {
        return store == null || bytes <= config.inlineBytes();
    }

    /** Keeps what arrived with a compact entry, and frees the queries that waited for an older version. */
    private void arrived(ServingEntry entry, Object content) {
        if (!entry.inline()) {
            catalog.keep(entry, content);
        }
        if (!waiting.isEmpty()) {
            String slot = entry.slot() + '@';
            var it = waiting.entrySet().iterator();
            while (it.hasNext()) {
                var w = it.next();
                if (w.getKey().startsWith(slot)) {
                    pending.addAll(w.getValue());
                    it.remove();
                }
            }
            if (!pending.isEmpty()) {
                scheduleFlush();
            }
        }
    }

    /** Computes and answers every waiting query whose parts are at hand; the others wait for their reads. */
    private void flush() throws Exception {
        if (pending.isEmpty()) {
            return;
        }
        List<Pending> batch = new ArrayList<>(pending.size());
        List<ServingCatalog.Served> served = new ArrayList<>(pending.size());
        List<RouteRecommendation> routes = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            Query q = p.query;
            String key = q.key().asString();
            missing.clear();
            ServingCatalog.Served s = catalog.served(key, manifest.get(ServingEntry.slot(key, ServingEntry.Part.BASE)),
                    manifest.get(ServingEntry.slot(key, ServingEntry.Part.MICRO)), q.embedding().length, p.read,
                    missing);
            RouteRecommendation route = catalog.route(key,
                    manifest.get(ServingEntry.slot(key, ServingEntry.Part.PATTERNS)), q.embedding(), p.read, missing);
            if (!missing.isEmpty()) {
                await(p, missing);
                continue;
            }
            batch.add(p);
            served.add(s);
            routes.add(route);
        }
        pending.clear();
        int n = batch.size();
        if (n == 0) {
            return;
        }
        float[][] xs = new float[n][];
        float[][] outs = new float[n][];
        LowRankDelta[] deltas = new LowRankDelta[n];
        boolean lowRank = true;
        for (int i = 0; i < n; i++) {
            xs[i] = batch.get(i).query.embedding();
            outs[i] = new float[xs[i].length];
            deltas[i] = served.get(i).delta();
            lowRank &= deltas[i] != null;
        }
        compute(xs, deltas, served, outs, n, lowRank);
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Pending p = batch.get(i);
            Query q = p.query;
            ServingCatalog.Served s = served.get(i);
            RouteRecommendation route = routes.get(i);
            if (route.patternHit()) {
                patternHits.inc();
            }
            long swapNanos = catalog.firstServed(q.key().asString(), s, now);
            if (swapNanos >= 0) {
                swapLatency.update(swapNanos / 1_000_000);
            }
            output.collect(new StreamRecord<>(new Response(q.id(), q.key(), s.microVersion(), s.baseVersion(), outs[i],
                    route.patternHit(), route.patternId(), route.route(), route.discreteParams(),
                    route.numericParams(), route.confidence(), route.similarity(), q.timestamp())));
            queryLatency.update((now - p.arrivedNanos) / 1_000_000);
        }
        queries.inc(n);
        batchSize.update(n);
    }

    /** Parks {@code p} until the first of the parts it lacks is read; starts reading all of them. */
    private void await(Pending p, List<ServingEntry> lacking) {
        if (loader == null) { // restored from a job that had a registry into one that has none
            output.collect(new StreamRecord<>(Response.rejected(p.query.id(), p.query.key(), "cannot serve "
                    + lacking.get(0) + ": its content is in the adapter registry, and none is configured"
                    + " (sona.registry.uri)", p.query.timestamp())));
            return;
        }
        for (ServingEntry e : lacking) {
            loader.request(e);
        }
        waiting.computeIfAbsent(lacking.get(0).contentSlot(), k -> new ArrayList<>()).add(p);
        schedulePoll();
    }

    private void schedulePoll() {
        if (!pollSet) {
            pollSet = true;
            long now = getProcessingTimeService().getCurrentProcessingTime();
            getProcessingTimeService().registerTimer(now + READ_POLL_MS, t -> {
                pollSet = false;
                readsFinished(0);
            });
        }
    }

    /** Takes the reads finished (waiting up to {@code waitMs} for one) and answers what waited for them. */
    private void readsFinished(long waitMs) throws Exception {
        for (ServingLoader.Loaded l : loader.drain(waitMs)) {
            List<Pending> freed = waiting.remove(l.entry().contentSlot());
            storeReadLatency.update(l.tookMs());
            if (l.content() != null) {
                storeReads.inc();
                catalog.keep(l.entry(), l.content());
                if (freed != null) {
                    for (Pending p : freed) {
                        p.keep(l.entry().contentSlot(), l.content());
                    }
                    pending.addAll(freed);
                }
            } else {
                storeReadFailures.inc();
                INFERENCE_LOG.warn("Cannot read {} from {}: {}", l.entry(), store.description(), l.failure());
                if (freed != null) {
                    for (Pending p : freed) {
                        output.collect(new StreamRecord<>(Response.rejected(p.query.id(), p.query.key(),
                                "cannot read " + l.entry() + " to serve it: " + l.failure(), p.query.timestamp())));
                    }
                }
            }
        }
        flush();
        if (loader.busy()) {
            schedulePoll();
        }
    }

    private void compute(float[][] xs, LowRankDelta[] deltas, List<ServingCatalog.Served> served, float[][] outs,
            int n, boolean lowRank) {
        if (!lowRank) { // a stacked-layer adapter composes: the served model, query by query
            for (int i = 0; i < n; i++) {
                served.get(i).model().forward(xs[i], outs[i], served.get(i).workspace());
            }
            return;
        }
        if (device != null && n >= config.minDeviceBatch() && sameDimension(xs, n)) {
            try {
                device.apply(xs, deltas, n, outs);
                deviceBatches.inc();
                return;
            } catch (RuntimeException e) {
                // A request never fails for the device: this batch is computed in Java instead.
                deviceFailures.inc();
                INFERENCE_LOG.warn("Batch of {} on {} failed; computed in Java", n, device.description(), e);
            }
        }
        java.apply(xs, deltas, n, outs);
    }

    private static boolean sameDimension(float[][] xs, int n) {
        for (int i = 1; i < n; i++) {
            if (xs[i].length != xs[0].length) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush(); // answered before the barrier: only queries that wait for a read are part of a checkpoint
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<Query> held = new ArrayList<>();
        waiting.values().forEach(ps -> ps.forEach(p -> held.add(p.query)));
        pending.forEach(p -> held.add(p.query));
        waitingState.update(held);
    }

    @Override
    public void endInput(int inputId) throws Exception {
        if (inputId == 1) {
            flush();
        }
    }

    @Override
    public void finish() throws Exception {
        flush();
        while (!waiting.isEmpty() && loader.busy()) { // the input ended: answer what waits for a read
            readsFinished(ServingLoader.MAX_RETRY_MS);
        }
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (loader != null) {
            loader.close();
        }
        if (device != null) {
            device.close();
        }
        super.close();
    }

    /** A query waiting for its batch or for a read, with what was read for it. */
    private static final class Pending {
        final Query query;
        final long arrivedNanos;
        /** content slot -> content read for this query (null until a read finishes) */
        Map<String, Object> read;

        Pending(Query query, long arrivedNanos) {
            this.query = query;
            this.arrivedNanos = arrivedNanos;
        }

        void keep(String slot, Object content) {
            if (read == null) {
                read = new HashMap<>(4);
            }
            read.put(slot, content);
        }
    }

    /** Opens the configured device, saying which one and why. */
    static final class Devices {
        /** The NVIDIA driver's control device, present wherever a CUDA GPU can be. */
        static final String NVIDIA_CONTROL = "/dev/nvidiactl";

        private Devices() {}

        static BatchApply open(InferenceDevice requested, Logger log) {
            if (requested == InferenceDevice.JAVA) {
                log.info("Inference computes in plain Java (sona.inference.device: java)");
                return null;
            }
            boolean djlPresent;
            try {
                Class.forName("ai.djl.engine.Engine", false, InferenceOperator.class.getClassLoader());
                djlPresent = true;
            } catch (ClassNotFoundException e) {
                djlPresent = false;
            }
            if (!djlPresent) {
                if (requested != InferenceDevice.AUTO) {
                    throw new IllegalStateException("sona.inference.device is " + requested.name().toLowerCase(Locale.ROOT)
                            + ", but DJL is not on the class path (put its jars into the cluster's lib/)");
                }
                log.info("Inference computes in plain Java: DJL is not on the class path");
                return null;
            }
            if (requested == InferenceDevice.AUTO && !Files.exists(Path.of(NVIDIA_CONTROL))) {
                // no NVIDIA driver here: loading PyTorch's natives (hundreds of MB) to count no GPU is not worth it
                log.info("Inference computes in plain Java: no NVIDIA device ({} is absent), and on a CPU plain Java"
                        + " is faster than DJL for low-rank adapters (sona.inference.device: auto)", NVIDIA_CONTROL);
                return null;
            }
            try {
                BatchApply device = DjlBatchApply.open(requested);
                if (device == null) {
                    log.info("Inference computes in plain Java: DJL sees no GPU, and on a CPU plain Java is faster"
                            + " than DJL for low-rank adapters (sona.inference.device: auto)");
                    return null;
                }
                log.info("Inference computes batches on {} (sona.inference.device: {})", device.description(),
                        requested.name().toLowerCase(Locale.ROOT));
                return device;
            } catch (RuntimeException | LinkageError e) {
                if (requested != InferenceDevice.AUTO) {
                    throw e;
                }
                log.warn("Inference computes in plain Java: DJL's engine did not start", e);
                return null;
            }
        }
    }
}
