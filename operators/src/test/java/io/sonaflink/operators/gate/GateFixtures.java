package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Trajectory;

import java.util.Map;
import java.util.Random;

/**
 * A planted task for the gate's tests: targets are {@code y = x + u (v . x)}, exactly what a rank-1
 * adapter with {@code A = v}, {@code B = u} (scale 1) computes. A candidate with {@code B = c u}
 * leaves the residual {@code (1 - c) u (v . x)}, so its loss is {@code (1 - c)^2} times the
 * identity's and its quality {@code 1 - (1 - c)^2}: c = 1 gives quality 1, c = 0.5 gives 0.75,
 * c = -1 gives -3.
 */
final class GateFixtures {

    static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");
    static final AdapterKey OTHER_KEY = new AdapterKey("acme", "sales", "renewals");
    static final int DIM = 4;
    static final float[] U = {1f, 0f, 0.5f, 0f};
    static final float[] V = {0f, 1f, 0f, 0.5f};

    private final Random random = new Random(7);
    private int next;

    /** A trajectory of {@code key} with a target of the planted task. */
    Trajectory trajectory(AdapterKey key, float quality) {
        float[] x = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            x[i] = (float) (2 * random.nextDouble() - 1);
        }
        return new Trajectory("t-" + next++, key, 1_000L + next, x, "route", Map.of(), Map.of(), null, quality,
                target(x), 1f);
    }

    Trajectory trajectory(float quality) {
        return trajectory(KEY, quality);
    }

    /** A trajectory without a target (it feeds only the quality statistics). */
    Trajectory withoutTarget(float quality) {
        Trajectory t = trajectory(KEY, quality);
        return t.withFeedback(quality, null, 1f);
    }

    static float[] target(float[] x) {
        return target(x, 1f);
    }

    /** {@code x + c u (v . x)}: the planted correction scaled by {@code c}. */
    static float[] target(float[] x, float c) {
        float vx = 0;
        for (int i = 0; i < DIM; i++) {
            vx += V[i] * x[i];
        }
        float[] y = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            y[i] = x[i] + c * U[i] * vx;
        }
        return y;
    }

    /** A learner's candidate whose {@code B} is {@code bScale * u}. */
    static AdapterUpdate candidate(AdapterKey key, AdapterKind kind, long learnerVersion, float bScale) {
        float[] b = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            b[i] = bScale * U[i];
        }
        return new AdapterUpdate(key, kind, learnerVersion, learnerVersion - 1, 1, 1, 1f,
                new float[][] {V.clone(), b}, Map.of(AdapterUpdate.METRIC_EVENTS_SEEN, 10.0 * learnerVersion),
                10_000L + learnerVersion);
    }

    static AdapterUpdate candidate(long learnerVersion, float bScale) {
        return candidate(KEY, AdapterKind.MICRO, learnerVersion, bScale);
    }

    /** Quality of a candidate with {@code B = c u} on the planted task. */
    static double quality(double bScale) {
        return 1 - (1 - bScale) * (1 - bScale);
    }
}
