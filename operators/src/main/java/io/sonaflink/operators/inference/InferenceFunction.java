package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.AdapterUpdateCodec;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.Response;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bandit.RouteRecommendation;
import io.sonaflink.state.bandit.UcbBandit;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.serving.ServedModel;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inference operator (architecture §4): answers queries with the key's published adapters
 * and patterns, which arrive as broadcast state.
 *
 * <p>Broadcast elements may reach the parallel tasks in different orders, so an adapter update is
 * applied only when its version is newer than the one held, and a pattern snapshot only when its
 * cycle is newer: applying is idempotent and order-free, and every task converges on the same
 * champions. A query sees one version of each adapter: the task swaps its prepared copy of a
 * key's served model in one assignment when a newer version is found, so a request is never
 * served half old and half new and never fails for lack of an adapter (no adapter is the identity).
 *
 * <p>The adapted embedding is the key's {@link ServedModel}, {@code x + Δbase(x) + Δmicro(x)}: the
 * MicroLoRA is the residual of one BaseLoRA version ({@link AdapterUpdate#servedWithBase()}) and is
 * applied only on top of it, so while a new base and its rebased MicroLoRA are on their way, a
 * request gets the new base alone, never a MicroLoRA learned on another base. The route comes from the nearest pattern when its confidence and similarity are
 * over the thresholds (a hit); otherwise from a UCB choice over the routes of the key's patterns,
 * weighted by their samples and mean quality.
 *
 * <p>The math runs on the CPU in plain Java (vectorised by the JIT); a batched GPU kernel for large
 * adapters is future work.
 */
public class InferenceFunction extends KeyedBroadcastProcessFunction<String, Query, Either<AdapterUpdate, PatternSnapshot>, Response> {

    private static final long serialVersionUID = 1L;

    /** What the broadcast side carries: published adapters and pattern snapshots. */
    public static final TypeInformation<Either<AdapterUpdate, PatternSnapshot>> SERVING_UPDATE_TYPE =
            new EitherTypeInfo<>(AdapterUpdateCodec.TYPE, EventCodecs.PATTERN_SNAPSHOT);

    /** The newest published adapter per {@code <adapter key>#<kind>}. */
    public static final MapStateDescriptor<String, AdapterUpdate> ADAPTERS =
            new MapStateDescriptor<>("serving-adapters", Types.STRING, AdapterUpdateCodec.TYPE);
    /** The newest pattern snapshot per adapter key. */
    public static final MapStateDescriptor<String, PatternSnapshot> PATTERNS =
            new MapStateDescriptor<>("serving-patterns", Types.STRING, EventCodecs.PATTERN_SNAPSHOT);

    public static final String METRIC_QUERIES = "queries";
    public static final String METRIC_PATTERN_HITS = "patternHits";
    public static final String METRIC_ADAPTER_SWAPS = "adapterSwaps";
    public static final String METRIC_STALE_UPDATES = "staleUpdates";

    private final RouteAdvisor advisor;

    private transient Map<String, PreparedModel> preparedModels;
    private transient Map<String, PreparedPatterns> preparedPatterns;
    private transient Counter queries;
    private transient Counter patternHits;
    private transient Counter adapterSwaps;
    private transient Counter staleUpdates;

    public InferenceFunction(RouteAdvisor advisor) {
        this.advisor = advisor;
    }

    public static Either<AdapterUpdate, PatternSnapshot> adapter(AdapterUpdate update) {
        return Either.Left(update);
    }

    public static Either<AdapterUpdate, PatternSnapshot> patterns(PatternSnapshot snapshot) {
        return Either.Right(snapshot);
    }

    @Override
    public void open(OpenContext openContext) {
        preparedModels = new HashMap<>();
        preparedPatterns = new HashMap<>();
        queries = getRuntimeContext().getMetricGroup().counter(METRIC_QUERIES);
        patternHits = getRuntimeContext().getMetricGroup().counter(METRIC_PATTERN_HITS);
        adapterSwaps = getRuntimeContext().getMetricGroup().counter(METRIC_ADAPTER_SWAPS);
        staleUpdates = getRuntimeContext().getMetricGroup().counter(METRIC_STALE_UPDATES);
    }

    @Override
    public void processBroadcastElement(Either<AdapterUpdate, PatternSnapshot> update, Context ctx,
            Collector<Response> out) throws Exception {
        if (update.isLeft()) {
            AdapterUpdate u = update.left();
            BroadcastState<String, AdapterUpdate> adapters = ctx.getBroadcastState(ADAPTERS);
            String slot = adapterSlot(u.key().asString(), u.kind());
            AdapterUpdate held = adapters.get(slot);
            if (held == null || u.version() > held.version()) {
                adapters.put(slot, u);
                adapterSwaps.inc();
            } else {
                staleUpdates.inc();
            }
        } else {
            PatternSnapshot s = update.right();
            BroadcastState<String, PatternSnapshot> patterns = ctx.getBroadcastState(PATTERNS);
            String key = s.key().asString();
            PatternSnapshot held = patterns.get(key);
            if (held == null || s.cycle() > held.cycle()) {
                patterns.put(key, s);
            } else {
                staleUpdates.inc();
            }
        }
    }

    @Override
    public void processElement(Query query, ReadOnlyContext ctx, Collector<Response> out) throws Exception {
        queries.inc();
        String key = ctx.getCurrentKey();
        ReadOnlyBroadcastState<String, AdapterUpdate> adapters = ctx.getBroadcastState(ADAPTERS);
        PreparedModel served = prepared(key, adapters.get(adapterSlot(key, AdapterKind.BASE)),
                adapters.get(adapterSlot(key, AdapterKind.MICRO)));

        float[] x = query.embedding();
        float[] adapted = new float[x.length];
        served.model.forward(x, adapted, served.workspace);
        long baseVersion = ServedModel.applies(served.model.base(), x.length) ? served.baseVersion : 0;
        long microVersion = ServedModel.applies(served.model.micro(), x.length) ? served.microVersion : 0;

        PreparedPatterns patterns = prepared(ctx.getBroadcastState(PATTERNS).get(key));
        RouteRecommendation route = patterns == null || patterns.bank.dim() != x.length
                ? new RouteRecommendation(false, 0L, "", Map.of(), Map.of(), 0f, 0f)
                : advisor.recommend(patterns.bank, patterns.routes, x);
        if (route.patternHit()) {
            patternHits.inc();
        }
        out.collect(new Response(query.id(), query.key(), microVersion, baseVersion, adapted, route.patternHit(),
                route.patternId(), route.route(), route.discreteParams(), route.numericParams(), route.confidence(),
                route.similarity(), query.timestamp()));
    }

    static String adapterSlot(String key, AdapterKind kind) {
        return key + "#" + kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** This task's ready-to-use served model of {@code key}, rebuilt only when a version changed. */
    private PreparedModel prepared(String key, AdapterUpdate base, AdapterUpdate micro) {
        long baseVersion = base == null ? 0 : base.version();
        boolean microServed = micro != null && micro.servedWithBase() == baseVersion;
        long microVersion = microServed ? micro.version() : 0;
        PreparedModel p = preparedModels.get(key);
        if (p == null || p.baseVersion != baseVersion || p.microVersion != microVersion) {
            ServedModel model = new ServedModel(base == null ? null : base.toAdapter(),
                    microServed ? micro.toAdapter() : null);
            p = new PreparedModel(baseVersion, microVersion, model);
            preparedModels.put(key, p); // one assignment: the swap
        }
        return p;
    }

    private PreparedPatterns prepared(PatternSnapshot snapshot) {
        if (snapshot == null || snapshot.patterns().isEmpty()) {
            return null;
        }
        String key = snapshot.key().asString();
        PreparedPatterns p = preparedPatterns.get(key);
        if (p == null || p.cycle != snapshot.cycle()) {
            p = new PreparedPatterns(snapshot.cycle(), snapshot.patterns());
            preparedPatterns.put(key, p);
        }
        return p;
    }

    /** A key's served model at one pair of versions, with its workspace, owned by one task. */
    private static final class PreparedModel {
        final long baseVersion;
        final long microVersion;
        final ServedModel model;
        final ServedModel.Workspace workspace;

        PreparedModel(long baseVersion, long microVersion, ServedModel model) {
            this.baseVersion = baseVersion;
            this.microVersion = microVersion;
            this.model = model;
            this.workspace = model.newWorkspace();
        }
    }

    /** A key's pattern bank and the route statistics of its patterns, as a bandit. */
    private static final class PreparedPatterns {
        final long cycle;
        final ReasoningBank bank;
        final UcbBandit routes;

        PreparedPatterns(long cycle, List<Pattern> patterns) {
            this.cycle = cycle;
            long nextId = 1;
            Map<String, double[]> byRoute = new LinkedHashMap<>(); // route -> {samples, quality sum}
            for (Pattern p : patterns) {
                nextId = Math.max(nextId, p.id() + 1);
                double[] s = byRoute.computeIfAbsent(p.route(), r -> new double[2]);
                s[0] += p.sampleCount();
                s[1] += p.sampleCount() * p.qualityMean();
            }
            this.bank = new ReasoningBank(patterns.get(0).centroid().length, patterns, nextId);
            List<String> arms = new ArrayList<>(byRoute.keySet());
            long[] pulls = new long[arms.size()];
            double[] rewards = new double[arms.size()];
            long total = 0;
            for (int i = 0; i < arms.size(); i++) {
                double[] s = byRoute.get(arms.get(i));
                pulls[i] = (long) s[0];
                rewards[i] = s[1];
                total += pulls[i];
            }
            this.routes = new UcbBandit(arms, pulls, rewards, total);
        }
    }
}
