package io.sonaflink.state.serving;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.math.Vectors;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The quality gate (seed 001: "new adapter ≥ 95 % of old adapter quality"), judged on what is
 * served: a candidate is the {@link ServedModel} it would make, compared with the model served now,
 * on held-out sets that no learner trained on: the recent held-out set of the current task and one
 * kept from each earlier task, so forgetting is visible to the gate.
 *
 * <p>On a set, {@code L(f)} is the mean weighted loss {@code w * 1/2 ||f(x) - y||^2} and a model's
 * quality its improvement over no adapter, {@code q(f) = 1 - L(f) / L(identity)}. The recent set
 * passes when the candidate keeps {@code q(candidate) / q(current) >= retention}, or, where the
 * current model is no better than the identity there, when the candidate is no worse than the
 * current model: a champion worse than the identity never blocks a candidate that beats it. An
 * earlier task's set is measured against the quality it had when the task ended, {@code q*}: it
 * passes when {@code q(candidate) >= min(retention * q*, q(current))}. Against the current model
 * alone, many promotions that each lose a little (a MicroLoRA every few corrections) would add up
 * to any loss; against {@code q*} the loss is bounded, and a candidate never has to repair what
 * it did not break. A set with
 * fewer than {@code minHeldOut} examples is too small to measure a ratio on: the recent set then
 * only requires the candidate to be no worse than the identity, and an earlier task's set is not
 * judged. The candidate is accepted when every set passes.
 */
public final class ServedModelValidator {

    /** Name of the current task's recent held-out set in the scores. */
    public static final String RECENT = "recent";

    private final double retentionThreshold;
    private final int minHeldOut;

    public ServedModelValidator(double retentionThreshold, int minHeldOut) {
        this.retentionThreshold = retentionThreshold;
        this.minHeldOut = minHeldOut;
    }

    /**
     * A named held-out set.
     *
     * @param referenceQuality for an earlier task, the served quality on this set when the task
     *     ended ({@code q*}); NaN for the recent set
     */
    public record HeldOutSet(String name, List<TrainingExample> examples, double referenceQuality) {

        /** The recent set, judged against the current model. */
        public static HeldOutSet recent(List<TrainingExample> examples) {
            return new HeldOutSet(RECENT, examples, Double.NaN);
        }
    }

    /** {@code q(model) = 1 - L(model) / L(identity)} on {@code examples}; NaN when the identity loss is 0. */
    public static double quality(ServedModel model, List<TrainingExample> examples) {
        ServedModel.Workspace ws = model.newWorkspace();
        double identity = 0;
        double loss = 0;
        for (TrainingExample e : examples) {
            identity += 0.5 * e.weight() * Vectors.squaredDistance(e.input(), e.target());
            loss += model.loss(e.input(), e.target(), e.weight(), ws);
        }
        return identity > 0 ? 1 - loss / identity : Double.NaN;
    }

    /**
     * One set's numbers.
     *
     * @param name the set's name ({@link #RECENT} or the earlier task's)
     * @param examples examples of the request dimension used
     * @param identityLoss {@code L(identity)}
     * @param currentLoss {@code L(current)}
     * @param candidateLoss {@code L(candidate)}
     * @param retention {@code q(candidate) / q(current)} on the recent set, {@code q(candidate) /
     *     q*} on an earlier task's; NaN where that is not the criterion
     * @param judged whether the set took part in the decision
     * @param passed whether it passed (true when not judged)
     */
    public record SetScore(String name, int examples, double identityLoss, double currentLoss, double candidateLoss,
            double retention, boolean judged, boolean passed) {

        public double currentQuality() {
            return identityLoss > 0 ? 1 - currentLoss / identityLoss : Double.NaN;
        }

        public double candidateQuality() {
            return identityLoss > 0 ? 1 - candidateLoss / identityLoss : Double.NaN;
        }
    }

    /**
     * The outcome.
     *
     * @param accepted whether the candidate may be promoted
     * @param scores one per set, the recent one first
     * @param reason the grounds, with the numbers
     */
    public record Verdict(boolean accepted, List<SetScore> scores, String reason) {

        /** The recent set's score. */
        public SetScore recent() {
            return scores.get(0);
        }

        /** Retention on the recent set, NaN where it was not the criterion. */
        public double retention() {
            return scores.isEmpty() ? Double.NaN : recent().retention();
        }

        /**
         * The numbers as flat metrics: {@code <set>.examples}, {@code <set>.identityLoss}, {@code
         * <set>.currentLoss}, {@code <set>.candidateLoss}, {@code <set>.retention} (where computed).
         */
        public Map<String, Double> metrics() {
            Map<String, Double> m = new TreeMap<>();
            for (SetScore s : scores) {
                m.put(s.name() + ".examples", (double) s.examples());
                putFinite(m, s.name() + ".identityLoss", s.identityLoss());
                putFinite(m, s.name() + ".currentLoss", s.currentLoss());
                putFinite(m, s.name() + ".candidateLoss", s.candidateLoss());
                putFinite(m, s.name() + ".retention", s.retention());
            }
            return m;
        }
    }

    /**
     * Judges {@code candidate} against {@code current} on {@code sets}, the first of which is the
     * recent held-out set. Examples of another dimension than the candidate are not used.
     */
    public Verdict validate(ServedModel candidate, ServedModel current, List<HeldOutSet> sets) {
        return validate(candidate, current, sets, new HeldOutLosses());
    }

    /**
     * {@link #validate(ServedModel, ServedModel, List)} with the losses {@code losses} remembers
     * from earlier validations on the same sets (the same verdict, computed faster).
     */
    public Verdict validate(ServedModel candidate, ServedModel current, List<HeldOutSet> sets,
            HeldOutLosses losses) {
        for (LoraAdapter adapter : new LoraAdapter[] {candidate.base(), candidate.micro()}) {
            if (adapter != null && !allFinite(adapter)) {
                return new Verdict(false, List.of(), "candidate has non-finite weights");
            }
        }
        HeldOutLosses.Memory[] memories = losses.nextRound(current, candidate, sets);
        List<SetScore> scores = new ArrayList<>(sets.size());
        StringBuilder reason = new StringBuilder();
        boolean accepted = true;
        for (int i = 0; i < sets.size(); i++) {
            SetScore score = score(sets.get(i), candidate, current, i == 0, losses, memories[0], memories[1]);
            scores.add(score);
            accepted &= score.passed();
            if (score.judged() || i == 0) {
                reason.append(reason.length() == 0 ? "" : "; ")
                        .append(describe(score, i == 0, sets.get(i).referenceQuality()));
            }
        }
        return new Verdict(accepted, scores, reason.toString());
    }

    private SetScore score(HeldOutSet set, ServedModel candidate, ServedModel current, boolean recent,
            HeldOutLosses losses, HeldOutLosses.Memory currentMemory, HeldOutLosses.Memory candidateMemory) {
        int dim = dimensionOf(candidate, current, set);
        ServedModel.Workspace candidateWs = candidate.newWorkspace();
        ServedModel.Workspace currentWs = current.newWorkspace();
        double identity = 0;
        double candidateSum = 0;
        double currentSum = 0;
        int n = 0;
        int skipped = 0;
        double[] identityLosses = losses.identityLosses(set);
        double[] candidateLosses = candidateMemory.losses(set, candidateWs);
        double[] currentLosses = currentMemory.losses(set, currentWs);
        List<TrainingExample> examples = set.examples();
        for (int i = 0; i < examples.size(); i++) {
            if (examples.get(i).input().length != dim) {
                skipped++;
                continue;
            }
            identity += identityLosses[i];
            candidateSum += candidateLosses[i];
            currentSum += currentLosses[i];
            n++;
        }
        double identityLoss = n == 0 ? 0 : identity / n;
        double candidateLoss = n == 0 ? 0 : candidateSum / n;
        double currentLoss = n == 0 ? 0 : currentSum / n;
        if (!Double.isFinite(candidateLoss) || (recent && n == 0 && skipped > 0)) {
            // a candidate of another dimension than every held-out example cannot be judged: rejected
            return new SetScore(set.name(), n, identityLoss, currentLoss, candidateLoss, Double.NaN, true, false);
        }
        if (n < minHeldOut || !(identityLoss > 0)) {
            // too little to measure a ratio on: only the recent set guards against a harmful candidate
            boolean passed = !recent || candidateLoss <= identityLoss;
            return new SetScore(set.name(), n, identityLoss, currentLoss, candidateLoss, Double.NaN, recent, passed);
        }
        double currentQuality = 1 - currentLoss / identityLoss;
        if (!(currentQuality > 0)) {
            return new SetScore(set.name(), n, identityLoss, currentLoss, candidateLoss, Double.NaN, true,
                    candidateLoss <= currentLoss);
        }
        double candidateQuality = 1 - candidateLoss / identityLoss;
        double reference = set.referenceQuality();
        if (reference > 0) {
            double bar = Math.min(retentionThreshold * reference, currentQuality);
            return new SetScore(set.name(), n, identityLoss, currentLoss, candidateLoss, candidateQuality / reference,
                    true, candidateQuality >= bar);
        }
        double retention = candidateQuality / currentQuality;
        return new SetScore(set.name(), n, identityLoss, currentLoss, candidateLoss, retention, true,
                retention >= retentionThreshold);
    }

    private String describe(SetScore s, boolean recent, double reference) {
        String data = String.format(Locale.ROOT, "%s: %d held-out", s.name(), s.examples());
        if (!Double.isFinite(s.candidateLoss())) {
            return data + ", candidate loss is not finite";
        }
        if (recent && s.examples() == 0 && !s.passed()) {
            return data + " of the candidate's dimension";
        }
        if (Double.isNaN(s.retention())) {
            if (s.examples() < minHeldOut || !(s.identityLoss() > 0)) {
                return String.format(Locale.ROOT, "%s (< minHeldOut %d)%s", data, minHeldOut,
                        recent ? String.format(Locale.ROOT, ", loss %.6g %s identity %.6g", s.candidateLoss(),
                                s.passed() ? "<=" : ">", s.identityLoss()) : ", not judged");
            }
            return String.format(Locale.ROOT, "%s, served model no better than identity (q=%.4f): candidate loss "
                            + "%.6g %s current %.6g (identity %.6g)", data, s.currentQuality(), s.candidateLoss(),
                    s.passed() ? "<=" : ">", s.currentLoss(), s.identityLoss());
        }
        if (reference > 0) {
            boolean kept = s.retention() >= retentionThreshold;
            return String.format(Locale.ROOT, "%s, retention %.4f %s %.4f of q*=%.4f when the task ended%s: "
                            + "q(candidate)=%.4f vs q(served)=%.4f (loss %.6g vs %.6g, identity %.6g)", data,
                    s.retention(), kept ? ">=" : "<", retentionThreshold, reference,
                    kept ? "" : s.passed() ? ", but no worse than served" : "", s.candidateQuality(),
                    s.currentQuality(), s.candidateLoss(), s.currentLoss(), s.identityLoss());
        }
        return String.format(Locale.ROOT, "%s, retention %.4f %s %.4f: q(candidate)=%.4f vs q(served)=%.4f "
                        + "(loss %.6g vs %.6g, identity %.6g)", data, s.retention(), s.passed() ? ">=" : "<",
                retentionThreshold, s.candidateQuality(), s.currentQuality(), s.candidateLoss(), s.currentLoss(),
                s.identityLoss());
    }

    private static int dimensionOf(ServedModel candidate, ServedModel current, HeldOutSet set) {
        for (LoraAdapter a : new LoraAdapter[] {candidate.base(), candidate.micro(), current.base(), current.micro()}) {
            if (a != null) {
                return a.dim();
            }
        }
        return set.examples().isEmpty() ? 0 : set.examples().get(0).input().length;
    }

    private static boolean allFinite(LoraAdapter adapter) {
        for (float[] row : adapter.weights()) {
            if (!Vectors.allFinite(row)) {
                return false;
            }
        }
        return true;
    }

    private static void putFinite(Map<String, Double> m, String name, double value) {
        if (Double.isFinite(value)) {
            m.put(name, value);
        }
    }
}
