package io.sonaflink.state.testing;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.sample.TrajectorySample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Planted request clusters for pattern learning, in shapes of one's choosing: {@code clusters}
 * centres of unit scale ({@code N(0, 1/d)} per coordinate) that share a common component of weight
 * {@code correlation} (their cosine is about that), cluster sizes following a Zipf law of exponent
 * {@code skew} (0: equal), and isotropic noise of {@code noise} times the centre scale. Each
 * cluster has a best route: a request takes it with probability 0.7 and has quality 0.85 then, and
 * 0.45 on any other route (both ± 0.03).
 */
public final class PlantedPatterns {

    public static final int ROUTES = 4;

    private final int dim;
    private final float[][] centres;
    private final double[] cumulative;
    private final double noise;
    private final String[] bestRoutes;

    /** One window: its samples and the planted cluster of each. */
    public record Window(List<TrajectorySample> samples, int[] labels) {}

    public PlantedPatterns(int dim, int clusters, double noise, double skew, double correlation, long seed) {
        DeterministicRandom random = new DeterministicRandom(seed);
        this.dim = dim;
        this.noise = noise;
        double scale = 1.0 / Math.sqrt(dim);
        float[] shared = Fixtures.gaussianVector(dim, scale, random);
        centres = new float[clusters][dim];
        bestRoutes = new String[clusters];
        for (int c = 0; c < clusters; c++) {
            float[] own = Fixtures.gaussianVector(dim, scale, random);
            for (int j = 0; j < dim; j++) {
                centres[c][j] = (float) (Math.sqrt(correlation) * shared[j] + Math.sqrt(1 - correlation) * own[j]);
            }
            bestRoutes[c] = "route-" + random.nextInt(ROUTES);
        }
        cumulative = new double[clusters];
        double total = 0;
        for (int c = 0; c < clusters; c++) {
            total += 1.0 / Math.pow(c + 1, skew);
            cumulative[c] = total;
        }
        for (int c = 0; c < clusters; c++) {
            cumulative[c] /= total;
        }
    }

    public int clusters() {
        return centres.length;
    }

    public String bestRoute(int cluster) {
        return bestRoutes[cluster];
    }

    public Window window(int n, DeterministicRandom random) {
        List<TrajectorySample> samples = new ArrayList<>(n);
        int[] labels = new int[n];
        double sd = noise / Math.sqrt(dim);
        for (int i = 0; i < n; i++) {
            double u = random.nextDouble();
            int c = 0;
            while (c < cumulative.length - 1 && cumulative[c] < u) {
                c++;
            }
            float[] x = new float[dim];
            for (int j = 0; j < dim; j++) {
                x[j] = centres[c][j] + (float) (sd * random.nextGaussian());
            }
            boolean best = random.nextDouble() < 0.7;
            String route = best ? bestRoutes[c] : "route-" + random.nextInt(ROUTES);
            float quality = (float) ((route.equals(bestRoutes[c]) ? 0.85 : 0.45) + 0.03 * random.nextGaussian());
            samples.add(new TrajectorySample(x, null, 1f, quality, route, Map.of(), Map.of()));
            labels[i] = c;
        }
        return new Window(samples, labels);
    }
}
