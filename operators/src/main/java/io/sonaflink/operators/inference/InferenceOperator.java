package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterKind;
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
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.TupleTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
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
import java.util.List;
import java.util.Locale;

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

    /** The newest published adapter per {@code <adapter key>#<kind>} (state name of release 0.2 on). */
    public static final MapStateDescriptor<String, AdapterUpdate> ADAPTERS =
            new MapStateDescriptor<>("serving-adapters", Types.STRING, AdapterUpdateCodec.TYPE);
    /** The newest pattern snapshot per adapter key. */
    public static final MapStateDescriptor<String, PatternSnapshot> PATTERNS =
            new MapStateDescriptor<>("serving-patterns", Types.STRING, EventCodecs.PATTERN_SNAPSHOT);

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
    /** Samples the latency histograms keep. */
    static final int LATENCY_WINDOW = 4096;

    /** This class's own logger (AbstractStreamOperator's LOG is named after Flink's class). */
    private static final Logger INFERENCE_LOG = LoggerFactory.getLogger(InferenceOperator.class);

    private final InferenceConfig config;

    private transient BroadcastState<String, AdapterUpdate> adapters;
    private transient BroadcastState<String, PatternSnapshot> patterns;
    private transient ServingCatalog catalog;
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

    public InferenceOperator(InferenceConfig config) {
        this.config = config;
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
        adapters = context.getOperatorStateStore().getBroadcastState(ADAPTERS);
        patterns = context.getOperatorStateStore().getBroadcastState(PATTERNS);
    }

    @Override
    public void open() throws Exception {
        super.open();
        catalog = new ServingCatalog(config.advisor());
        pending = new ArrayList<>(config.maxBatch());
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
    }

    @Override
    public void processElement1(StreamRecord<Query> element) throws Exception {
        pending.add(new Pending(element.getValue(), System.nanoTime()));
        if (pending.size() >= config.maxBatch()) {
            flush();
        } else if (!timerSet) {
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
            String slot = adapterSlot(u.key().asString(), u.kind());
            AdapterUpdate held = adapters.get(slot);
            if (held == null || u.version() > held.version()) {
                adapters.put(slot, u);
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
            String key = s.key().asString();
            PatternSnapshot held = patterns.get(key);
            if (held == null || s.cycle() > held.cycle()) {
                patterns.put(key, s);
            } else {
                staleUpdates.inc();
            }
        }
    }

    /** Computes and answers every waiting query. */
    private void flush() throws Exception {
        int n = pending.size();
        if (n == 0) {
            return;
        }
        float[][] xs = new float[n][];
        float[][] outs = new float[n][];
        LowRankDelta[] deltas = new LowRankDelta[n];
        ServingCatalog.Served[] served = new ServingCatalog.Served[n];
        boolean lowRank = true;
        for (int i = 0; i < n; i++) {
            Query q = pending.get(i).query;
            String key = q.key().asString();
            served[i] = catalog.served(key, adapters.get(adapterSlot(key, AdapterKind.BASE)),
                    adapters.get(adapterSlot(key, AdapterKind.MICRO)), q.embedding().length);
            xs[i] = q.embedding();
            outs[i] = new float[xs[i].length];
            deltas[i] = served[i].delta();
            lowRank &= deltas[i] != null;
        }
        compute(xs, deltas, served, outs, n, lowRank);
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Pending p = pending.get(i);
            Query q = p.query;
            String key = q.key().asString();
            RouteRecommendation route = catalog.route(key, patterns.get(key), q.embedding());
            if (route.patternHit()) {
                patternHits.inc();
            }
            long swapNanos = catalog.firstServed(key, served[i], now);
            if (swapNanos >= 0) {
                swapLatency.update(swapNanos / 1_000_000);
            }
            output.collect(new StreamRecord<>(new Response(q.id(), q.key(), served[i].microVersion(),
                    served[i].baseVersion(), outs[i], route.patternHit(), route.patternId(), route.route(),
                    route.discreteParams(), route.numericParams(), route.confidence(), route.similarity(),
                    q.timestamp())));
            queryLatency.update((now - p.arrivedNanos) / 1_000_000);
        }
        queries.inc(n);
        batchSize.update(n);
        pending.clear();
    }

    private void compute(float[][] xs, LowRankDelta[] deltas, ServingCatalog.Served[] served, float[][] outs, int n,
            boolean lowRank) {
        if (!lowRank) { // a stacked-layer adapter composes: the served model, query by query
            for (int i = 0; i < n; i++) {
                served[i].model().forward(xs[i], outs[i], served[i].workspace());
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
        flush(); // answered before the barrier: no query is ever part of a checkpoint
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
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (device != null) {
            device.close();
        }
        super.close();
    }

    static String adapterSlot(String key, AdapterKind kind) {
        return key + "#" + kind.name().toLowerCase(Locale.ROOT);
    }

    private record Pending(Query query, long arrivedNanos) {}

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
