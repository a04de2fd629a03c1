package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.math.Vectors;

import java.util.List;
import java.util.Locale;

/**
 * The quality gate's test (seed 001: "new adapter ≥ 95% of old adapter quality"), made
 * measurable on held-out trajectories with targets.
 *
 * <p>{@code L(f)} is the mean weighted loss {@code w * 1/2 * ||f(x) - y||^2} over the held-out set,
 * and an adapter's quality is its relative improvement over the identity, {@code q(f) = 1 -
 * L(f) / L(identity)}. With a champion of positive quality, a candidate passes when its retention
 * {@code q(candidate) / q(champion)} reaches the threshold. Without a champion, with a champion no
 * better than the identity, or with fewer than {@code minHeldOut} examples (too few to measure a
 * ratio), it passes when it does not make the loss worse than the identity.
 */
public final class CandidateValidator {

    private final double retentionThreshold;
    private final int minHeldOut;

    public CandidateValidator(double retentionThreshold, int minHeldOut) {
        this.retentionThreshold = retentionThreshold;
        this.minHeldOut = minHeldOut;
    }

    /**
     * The result of one validation.
     *
     * @param accepted whether the candidate may be promoted
     * @param examples held-out examples used
     * @param identityLoss {@code L(identity)}
     * @param candidateLoss {@code L(candidate)}
     * @param championLoss {@code L(champion)}, NaN without a (comparable) champion
     * @param candidateQuality {@code q(candidate)}, NaN when {@code L(identity)} is 0
     * @param championQuality {@code q(champion)}, NaN when not computed
     * @param retention {@code q(candidate) / q(champion)}, NaN when not the criterion
     * @param reason the grounds, with the numbers
     */
    public record Verdict(
            boolean accepted,
            int examples,
            double identityLoss,
            double candidateLoss,
            double championLoss,
            double candidateQuality,
            double championQuality,
            double retention,
            String reason) {}

    /**
     * Validates {@code candidate} against {@code champion} (null when the key has none; {@code
     * championName} names it in the reason) on {@code heldOut}. Examples whose dimension differs
     * from the candidate's are not used; a candidate that matches none of them is rejected.
     */
    public Verdict validate(
            List<Trajectory> heldOut, LoraAdapter candidate, LoraAdapter champion, String championName) {
        int dim = candidate.dim();
        for (float[] row : candidate.weights()) {
            if (!Vectors.allFinite(row)) {
                return reject(0, Double.NaN, Double.NaN, "candidate has non-finite weights");
            }
        }
        if (champion != null && champion.dim() != dim) {
            champion = null; // a changed embedding dimension: the old champion cannot be compared
        }
        LoraWorkspace candidateWs = candidate.newWorkspace();
        LoraWorkspace championWs = champion == null ? null : champion.newWorkspace();
        double identitySum = 0;
        double candidateSum = 0;
        double championSum = 0;
        int n = 0;
        int skipped = 0;
        for (Trajectory t : heldOut) {
            float[] x = t.embedding();
            float[] y = t.target();
            if (y == null || x.length != dim) {
                skipped++;
                continue;
            }
            float w = t.weight();
            identitySum += 0.5 * w * Vectors.squaredDistance(x, y);
            candidateSum += candidate.loss(x, y, w, candidateWs);
            if (champion != null) {
                championSum += champion.loss(x, y, w, championWs);
            }
            n++;
        }
        double identityLoss = n == 0 ? 0 : identitySum / n;
        double candidateLoss = n == 0 ? 0 : candidateSum / n;
        double championLoss = champion == null || n == 0 ? Double.NaN : championSum / n;
        String data = String.format(Locale.ROOT, "%d held-out%s", n,
                skipped == 0 ? "" : " (" + skipped + " of another dimension skipped)");
        if (n == 0 && skipped > 0) {
            return reject(0, Double.NaN, Double.NaN, String.format(Locale.ROOT,
                    "candidate dimension %d matches none of the %d held-out trajectories", dim, skipped));
        }
        if (!Double.isFinite(candidateLoss)) {
            return reject(n, identityLoss, candidateLoss, "candidate loss is not finite on " + data);
        }
        if (n < minHeldOut || !(identityLoss > 0)) {
            String why = n < minHeldOut
                    ? String.format(Locale.ROOT, "only %s (< minHeldOut %d)", data, minHeldOut)
                    : "identity loss is 0 on " + data;
            return againstIdentity(n, identityLoss, candidateLoss, championLoss, Double.NaN, why);
        }
        double candidateQuality = 1 - candidateLoss / identityLoss;
        if (champion == null) {
            return againstIdentity(n, identityLoss, candidateLoss, championLoss, Double.NaN,
                    "no champion yet, " + data);
        }
        double championQuality = 1 - championLoss / identityLoss;
        if (!(championQuality > 0)) {
            return againstIdentity(n, identityLoss, candidateLoss, championLoss, championQuality,
                    String.format(Locale.ROOT, "%s is no better than the identity (q=%.4f), %s",
                            championName, championQuality, data));
        }
        double retention = candidateQuality / championQuality;
        boolean accepted = retention >= retentionThreshold;
        String reason = String.format(Locale.ROOT,
                "retention %.4f %s %.4f: q(candidate)=%.4f vs q(%s)=%.4f on %s "
                        + "(loss %.6g vs %.6g, identity %.6g)",
                retention, accepted ? ">=" : "<", retentionThreshold, candidateQuality, championName,
                championQuality, data, candidateLoss, championLoss, identityLoss);
        return new Verdict(accepted, n, identityLoss, candidateLoss, championLoss, candidateQuality, championQuality,
                retention, reason);
    }

    private static Verdict againstIdentity(
            int n, double identityLoss, double candidateLoss, double championLoss, double championQuality, String why) {
        boolean accepted = candidateLoss <= identityLoss;
        double candidateQuality = identityLoss > 0 ? 1 - candidateLoss / identityLoss : Double.NaN;
        String reason = String.format(Locale.ROOT, "%s: loss %.6g %s identity %.6g", why, candidateLoss,
                accepted ? "<=" : ">", identityLoss);
        return new Verdict(accepted, n, identityLoss, candidateLoss, championLoss, candidateQuality, championQuality,
                Double.NaN, reason);
    }

    private static Verdict reject(int n, double identityLoss, double candidateLoss, String reason) {
        return new Verdict(false, n, identityLoss, candidateLoss, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                reason);
    }
}
