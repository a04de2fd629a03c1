package io.sonaflink.operators.background;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.SkillMap;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;

import java.util.HashMap;
import java.util.Map;

/** Builds a key's {@link SkillMap} from its ReasoningBank. */
public final class SkillMaps {

    private SkillMaps() {}

    public static SkillMap of(AdapterKey key, long cycle, long timestamp, ReasoningBank bank) {
        long samples = 0;
        double confidence = 0.0;
        Map<String, double[]> routes = new HashMap<>(); // route -> {quality * n, n}
        for (Pattern p : bank.patterns()) {
            samples += p.sampleCount();
            confidence += p.confidence() * (double) p.sampleCount();
            double[] acc = routes.computeIfAbsent(p.route(), r -> new double[2]);
            acc[0] += p.qualityMean() * p.sampleCount();
            acc[1] += p.sampleCount();
        }
        Map<String, Double> routeQuality = new HashMap<>();
        routes.forEach((route, acc) -> routeQuality.put(route, acc[0] / acc[1]));
        return new SkillMap(key, cycle, timestamp, samples == 0 ? 0.0 : confidence / samples, routeQuality,
                bank.size(), samples);
    }
}
