package io.sonaflink.operators.events;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the adapter gate decided and why: one per candidate adapter, per control command (from one
 * task, or from the task that owns the key the command changed), and per automatic rollback.
 *
 * @param key the adapter key, or null for a command that applies to every key
 * @param kind the adapter kind, or null when the decision concerns no single kind
 * @param candidateVersion the learner's version of the candidate; for a rollback, the version
 *     returned to (0: the identity adapter); for a command, the version it names
 * @param decision what happened
 * @param publishedVersion the gate's version of the update it published, 0 if none
 * @param reason the decision's grounds, with the numbers behind it
 * @param retention {@code q(candidate) / q(served)} on the recent held-out set, NaN if not computed
 * @param controlId the id of the command that caused it, or null
 * @param timestamp epoch milliseconds of the event that caused it (event time)
 * @param metrics the numbers behind the decision, by name: for a judged candidate the held-out
 *     losses per set ({@code recent.candidateLoss}, {@code task3.retention}, ...), and what its
 *     learner reported (a background cycle's gradient norm, boundary statistic, lambda, ...)
 */
public record GateDecision(
        AdapterKey key,
        AdapterKind kind,
        long candidateVersion,
        GateDecisionType decision,
        long publishedVersion,
        String reason,
        double retention,
        String controlId,
        long timestamp,
        Map<String, Double> metrics) {

    public GateDecision {
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(reason, "reason");
        metrics = metrics == null || metrics.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metrics));
    }

    /** A decision without numbers beyond its reason (commands, refusals). */
    public GateDecision(AdapterKey key, AdapterKind kind, long candidateVersion, GateDecisionType decision,
            long publishedVersion, String reason, double retention, String controlId, long timestamp) {
        this(key, kind, candidateVersion, decision, publishedVersion, reason, retention, controlId, timestamp, Map.of());
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GateDecision)) {
            return false;
        }
        GateDecision that = (GateDecision) o;
        return candidateVersion == that.candidateVersion
                && publishedVersion == that.publishedVersion
                && Double.compare(retention, that.retention) == 0
                && timestamp == that.timestamp
                && Objects.equals(key, that.key)
                && kind == that.kind
                && decision == that.decision
                && reason.equals(that.reason)
                && Objects.equals(controlId, that.controlId)
                && metrics.equals(that.metrics);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, kind, candidateVersion, decision, publishedVersion, reason, retention, controlId,
                timestamp);
    }
}
