package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bandit.RouteRecommendation;
import io.sonaflink.state.bandit.UcbBandit;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.serving.LowRankDelta;
import io.sonaflink.state.serving.ServedModel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One inference task's ready-to-serve forms of what its broadcast state names, in a bounded {@link
 * ServingCache}: per key the served stack (as a {@link ServedModel} and as one {@link
 * LowRankDelta}) and the pattern bank with its routes as a bandit, rebuilt only when a version
 * changes; the content of parts the state names without holding, as it arrived or was loaded; and
 * when each version was installed (for the swap latency). What is evicted is built again from the
 * state or loaded again. Flink-free; not thread-safe (one task thread).
 */
final class ServingCatalog {

    private static final RouteRecommendation NO_ROUTE = new RouteRecommendation(false, 0L, "", Map.of(), Map.of(), 0f, 0f);

    private final RouteAdvisor advisor;
    private final ServingCache cache;
    /** key -> {base version, arrival nanos, micro version, arrival nanos} of the newest updates. */
    private final Map<String, long[]> arrivals = new HashMap<>();
    /** key -> {base, micro} versions of the last response. */
    private final Map<String, long[]> lastServed = new HashMap<>();

    ServingCatalog(RouteAdvisor advisor, long cacheBytes) {
        this.advisor = advisor;
        this.cache = new ServingCache(cacheBytes);
    }

    /** Keeps the content of an entry held without it (as it arrived, or as it was loaded). */
    void keep(ServingEntry entry, Object content) {
        if (entry.part() == ServingEntry.Part.PATTERNS) {
            PatternSnapshot s = (PatternSnapshot) content;
            if (!s.patterns().isEmpty()) {
                cache.put(bankSlot(entry.key().asString()), new PreparedPatterns(entry.version(), s.patterns()),
                        2 * entry.bytes());
            }
        } else {
            cache.put(entry.contentSlot(), content, entry.bytes());
        }
    }

    /** Drops the content kept for an entry that a newer one replaced. */
    void forget(ServingEntry replaced) {
        if (replaced.part() != ServingEntry.Part.PATTERNS) {
            cache.remove(replaced.contentSlot());
        }
    }

    /**
     * A key's served stack for requests of dimension {@code dim}, from the entries of its newest
     * published adapters; a MicroLoRA learned on another base than {@code base} is not served.
     * Content is taken from the entry, else from {@code read} (what was read for this request, so
     * that a cache smaller than one request's parts cannot starve it; may be null), else from the
     * cache. Null when a part is in none of them: then it is added to {@code missing}.
     */
    Served served(String key, ServingEntry base, ServingEntry micro, int dim, Map<String, Object> read,
            List<ServingEntry> missing) {
        long baseVersion = base == null ? 0 : base.version();
        boolean microServed = micro != null && micro.servedWithBase() == baseVersion;
        long microVersion = microServed ? micro.version() : 0;
        String slot = stackSlot(key);
        Served s = cache.get(slot);
        if (s != null && s.baseVersion == baseVersion && s.microVersion == microVersion && s.dim == dim) {
            return s;
        }
        AdapterUpdate baseWeights = base == null ? null : content(base, read, missing);
        AdapterUpdate microWeights = microServed ? content(micro, read, missing) : null;
        if ((base != null && baseWeights == null) || (microServed && microWeights == null)) {
            return null;
        }
        ServedModel model = new ServedModel(baseWeights == null ? null : baseWeights.toAdapter(),
                microWeights == null ? null : microWeights.toAdapter());
        s = new Served(baseVersion, microVersion, dim, model);
        // the model's copies and the low-rank product of both
        cache.put(slot, s, 2 * ((base == null ? 0 : base.bytes()) + (microServed ? micro.bytes() : 0)) + 256);
        return s;
    }

    /**
     * The route for {@code x}: the nearest confident pattern (a hit), else UCB over the key's
     * routes. The bank is found as in {@link #served}; when it is in none of the places, null, and
     * it is added to {@code missing}.
     */
    RouteRecommendation route(String key, ServingEntry patterns, float[] x, Map<String, Object> read,
            List<ServingEntry> missing) {
        if (patterns == null) {
            return NO_ROUTE;
        }
        PreparedPatterns p = cache.get(bankSlot(key));
        if (p == null || p.cycle != patterns.version()) {
            PatternSnapshot bank = patterns.patterns() != null ? patterns.patterns()
                    : read == null ? null : (PatternSnapshot) read.get(patterns.contentSlot());
            if (bank == null) {
                missing.add(patterns);
                return null;
            }
            if (bank.patterns().isEmpty()) {
                return NO_ROUTE;
            }
            p = new PreparedPatterns(patterns.version(), bank.patterns());
            cache.put(bankSlot(key), p, 2 * patterns.bytes());
        }
        return p.bank.dim() != x.length ? NO_ROUTE : advisor.recommend(p.bank, p.routes, x);
    }

    private AdapterUpdate content(ServingEntry e, Map<String, Object> read, List<ServingEntry> missing) {
        if (e.adapter() != null) {
            return e.adapter();
        }
        AdapterUpdate u = read == null ? null : (AdapterUpdate) read.get(e.contentSlot());
        if (u == null) {
            u = cache.get(e.contentSlot());
        }
        if (u == null) {
            missing.add(e);
        }
        return u;
    }

    ServingCache cache() {
        return cache;
    }

    private static String stackSlot(String key) {
        return key + "#stack";
    }

    private static String bankSlot(String key) {
        return key + "#bank";
    }

    /**
     * Records that a newer version of {@code kind} for {@code key}, published at {@code
     * publishedAtMs} (epoch ms), is installed now; returns the milliseconds from its publication to
     * now (0 where the clocks disagree), from which its first response is timed.
     */
    long installed(String key, AdapterKind kind, long version, long publishedAtMs, long nowMs, long nowNanos) {
        long sincePublishedMs = Math.max(0, nowMs - publishedAtMs);
        long[] a = arrivals.computeIfAbsent(key, k -> new long[4]);
        int at = kind == AdapterKind.BASE ? 0 : 2;
        a[at] = version;
        a[at + 1] = nowNanos - 1_000_000L * sincePublishedMs;
        return sincePublishedMs;
    }

    /**
     * Nanoseconds from the publication of the newest version this response serves to now, when it is
     * the first response to serve that version; -1 otherwise (or when it arrived before a restore).
     */
    long firstServed(String key, Served s, long now) {
        long[] last = lastServed.computeIfAbsent(key, k -> new long[2]);
        long latency = -1;
        long[] a = arrivals.get(key);
        if (a != null) {
            if (s.baseVersion > last[0] && s.baseVersion == a[0]) {
                latency = Math.max(latency, now - a[1]);
            }
            if (s.microVersion > last[1] && s.microVersion == a[2]) {
                latency = Math.max(latency, now - a[3]);
            }
        }
        last[0] = Math.max(last[0], s.baseVersion);
        last[1] = Math.max(last[1], s.microVersion);
        return latency;
    }

    /** A key's served model at one pair of versions, owned by one task. */
    static final class Served {
        private final long baseVersion;
        private final long microVersion;
        private final int dim;
        private final ServedModel model;
        private final LowRankDelta delta;
        private final ServedModel.Workspace workspace;

        Served(long baseVersion, long microVersion, int dim, ServedModel model) {
            this.baseVersion = baseVersion;
            this.microVersion = microVersion;
            this.dim = dim;
            this.model = model;
            this.delta = LowRankDelta.of(model, dim);
            this.workspace = model.newWorkspace();
        }

        /** BaseLoRA version a request of this model's dimension gets (0: none). */
        long baseVersion() {
            return ServedModel.applies(model.base(), dim) ? baseVersion : 0;
        }

        long microVersion() {
            return ServedModel.applies(model.micro(), dim) ? microVersion : 0;
        }

        ServedModel model() {
            return model;
        }

        /** The stack as one low-rank product, or null for stacked layers. */
        LowRankDelta delta() {
            return delta;
        }

        ServedModel.Workspace workspace() {
            return workspace;
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
