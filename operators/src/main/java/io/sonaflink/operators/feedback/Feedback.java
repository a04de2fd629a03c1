package io.sonaflink.operators.feedback;

import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;

/**
 * How a training signal changes the trajectory it is about (seed 001's signal types, weighted by
 * source: human 1.0, ai 0.5, automated 0.25, or the signal's own weight):
 *
 * <ul>
 *   <li>mistake: quality moves toward 0 by the weight, {@code q' = q (1 - w)};
 *   <li>positive: quality moves toward 1 by the weight, {@code q' = q + w (1 - q)};
 *   <li>correction: as a mistake, and the trajectory gets the signal's target and weight, which
 *       makes it a corrective event for the adapters.
 * </ul>
 *
 * Weights above 1 are capped at 1 for the quality update.
 */
public final class Feedback {

    private Feedback() {}

    public static Trajectory apply(Trajectory t, TrainingSignal s) {
        float w = Math.min(1f, s.weight());
        switch (s.type()) {
            case MISTAKE:
                return t.withFeedback(t.quality() * (1f - w), t.target(), t.weight());
            case POSITIVE:
                return t.withFeedback(t.quality() + w * (1f - t.quality()), t.target(), t.weight());
            case CORRECTION:
                return t.withFeedback(t.quality() * (1f - w), s.target(), s.weight());
            default:
                throw new IllegalArgumentException("signal type " + s.type() + " does not refer to a trajectory");
        }
    }
}
