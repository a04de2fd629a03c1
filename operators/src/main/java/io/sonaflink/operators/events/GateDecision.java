package io.sonaflink.operators.events;

import java.util.Objects;

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
 * @param retention {@code q(candidate) / q(champion)} on the held-out set, NaN if not computed
 * @param controlId the id of the command that caused it, or null
 * @param timestamp epoch milliseconds of the event that caused it (event time)
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
        long timestamp) {

    public GateDecision {
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(reason, "reason");
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
                && Objects.equals(controlId, that.controlId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, kind, candidateVersion, decision, publishedVersion, reason, retention, controlId,
                timestamp);
    }
}
