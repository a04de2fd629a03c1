package io.sonaflink.state.bank;

import io.sonaflink.state.cluster.KMeansResult;
import io.sonaflink.state.sample.TrajectorySample;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PatternExtractorTest {

    private static final float[] CENTROIDS = {
        1f, 0f, //
        0f, 1f, //
        -1f, -1f, //
        5f, 5f
    };

    @Test
    void summarisesEachClusterByModeAndMean() {
        List<TrajectorySample> samples = List.of(
                // cluster 0: routes b, a, b, a -> tie, "a"; model x, y, y, x -> tie, "x"; tier only once
                sample(0.9f, "route-b", Map.of("model", "y"), Map.of("temp", 0.2)),
                sample(0.7f, "route-a", Map.of("model", "x", "tier", "gold"), Map.of()),
                sample(0.8f, "route-b", Map.of("model", "y"), Map.of("temp", 0.4, "topK", 40.0)),
                sample(0.6f, "route-a", Map.of("model", "x"), Map.of("temp", 0.9)),
                // cluster 1: z, y, z -> "z"; model q, m, c -> all once, "c"
                sample(0.5f, "z", Map.of("model", "q"), Map.of("temp", 1.0)),
                sample(0.4f, "y", Map.of("model", "m"), Map.of("temp", 2.0)),
                sample(0.3f, "z", Map.of("model", "c"), Map.of()),
                // cluster 3 (cluster 2 is empty): a single sample without parameters
                sample(1.0f, "", Map.of(), Map.of()));
        int[] assignments = {0, 0, 0, 0, 1, 1, 1, 3};
        KMeansResult clustering = new KMeansResult(CENTROIDS, 4, 2, assignments, new int[] {4, 3, 0, 1}, 3, true, 0.0);

        Pattern[] byCluster = PatternExtractor.extractByCluster(samples, clustering, 6L);
        assertThat(byCluster).hasSize(4);
        assertThat(byCluster[2]).isNull();

        Pattern p0 = byCluster[0];
        assertThat(p0.id()).isZero();
        assertThat(p0.centroid()).containsExactly(1f, 0f);
        assertThat(p0.sampleCount()).isEqualTo(4);
        assertThat(p0.route()).isEqualTo("route-a");
        assertThat(p0.discreteParams()).containsExactlyInAnyOrderEntriesOf(Map.of("model", "x", "tier", "gold"));
        assertThat(p0.numericParams()).containsOnlyKeys("temp", "topK");
        assertThat(p0.numericParams().get("temp")).isCloseTo(0.5, within(1e-7)); // (0.2 + 0.4 + 0.9) / 3
        assertThat(p0.numericParams().get("topK")).isEqualTo(40.0);
        assertQualityStats(p0, 0.9f, 0.7f, 0.8f, 0.6f);
        assertThat(p0.createdCycle()).isEqualTo(6L);
        assertThat(p0.updatedCycle()).isEqualTo(6L);

        Pattern p1 = byCluster[1];
        assertThat(p1.centroid()).containsExactly(0f, 1f);
        assertThat(p1.route()).isEqualTo("z");
        assertThat(p1.discreteParams()).containsExactlyInAnyOrderEntriesOf(Map.of("model", "c"));
        assertThat(p1.numericParams().get("temp")).isCloseTo(1.5, within(1e-12));
        assertQualityStats(p1, 0.5f, 0.4f, 0.3f);

        Pattern p3 = byCluster[3];
        assertThat(p3.centroid()).containsExactly(5f, 5f);
        assertThat(p3.sampleCount()).isEqualTo(1);
        assertThat(p3.route()).isEmpty();
        assertThat(p3.discreteParams()).isEmpty();
        assertThat(p3.numericParams()).isEmpty();
        assertThat(p3.qualityMean()).isCloseTo(1.0, within(1e-12));
        assertThat(p3.qualitySquaredDeviations()).isZero();

        // extract() drops the empty cluster and keeps cluster order
        List<Pattern> extracted = PatternExtractor.extract(samples, clustering, 6L);
        assertThat(extracted).containsExactly(p0, p1, p3);
    }

    @Test
    void modeBreaksTiesByTheSmallestName() {
        Map<String, Integer> counts = new HashMap<>();
        // many equal counts so HashMap order cannot line up with the answer by chance
        for (String s : new String[] {"m", "zz", "b", "q", "ba", "a9", "c", "aa", "x"}) {
            counts.put(s, 2);
        }
        counts.put("zzz", 1);
        assertThat(PatternExtractor.mode(counts)).isEqualTo("a9");
        counts.put("zzz", 3);
        assertThat(PatternExtractor.mode(counts)).isEqualTo("zzz");
        assertThat(PatternExtractor.mode(Map.of())).isEmpty();
    }

    @Test
    void rejectsAClusteringOfOtherSamples() {
        KMeansResult clustering = new KMeansResult(CENTROIDS, 4, 2, new int[] {0, 1}, new int[] {1, 1, 0, 0}, 1, true, 0);
        List<TrajectorySample> one = List.of(sample(0.5f, "r", Map.of(), Map.of()));
        assertThatThrownBy(() -> PatternExtractor.extract(one, clustering, 1L))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertQualityStats(Pattern p, float... qualities) {
        double mean = 0;
        for (float q : qualities) {
            mean += q;
        }
        mean /= qualities.length;
        double m2 = 0;
        for (float q : qualities) {
            m2 += (q - mean) * (q - mean);
        }
        assertThat(p.sampleCount()).isEqualTo(qualities.length);
        assertThat(p.qualityMean()).isCloseTo(mean, within(1e-12));
        assertThat(p.qualitySquaredDeviations()).isCloseTo(m2, within(1e-12));
    }

    private static TrajectorySample sample(
            float quality, String route, Map<String, String> discrete, Map<String, Double> numeric) {
        return new TrajectorySample(new float[] {0f, 0f}, null, 1f, quality, route, discrete, numeric);
    }
}
