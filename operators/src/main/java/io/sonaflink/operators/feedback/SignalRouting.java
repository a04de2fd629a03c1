package io.sonaflink.operators.feedback;

import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.events.TrainingSignal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * What becomes of signals that do not join a trajectory: imports are corrective events in their
 * own right; signals left unmatched are dead-lettered, rendered back to JSON since their original
 * bytes were consumed by parsing.
 */
public final class SignalRouting {

    /** Source name of dead letters made from unmatched signals. */
    public static final String UNMATCHED_SOURCE = "unmatched-signals";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SignalRouting() {}

    /**
     * An imported example as a trajectory: its input, its target, its weight; quality 1 (a vetted
     * example), no route.
     */
    public static Trajectory importAsTrajectory(TrainingSignal s) {
        if (s.input() == null || s.target() == null) {
            throw new IllegalArgumentException("import " + s.id() + " needs an input and a target");
        }
        return new Trajectory(s.id(), s.key(), s.timestamp(), s.input(), "", Map.of(), Map.of(), null, 1f, s.target(),
                s.weight());
    }

    /** A signal that changed no trajectory, with the reason. */
    /** Source of the dead letters of trajectories whose id the join already keeps. */
    public static final String DUPLICATE_SOURCE = "duplicate-trajectories";

    /**
     * A trajectory whose id the join already keeps (an at-least-once producer sent it twice): the
     * first one counts; this one is reported by id, key and timestamp (its embedding is left out).
     */
    public static DeadLetter duplicate(Trajectory t) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", t.id());
        ObjectNode key = node.putObject("key");
        key.put("tenant", t.key().tenant());
        key.put("persona", t.key().persona());
        key.put("domain", t.key().domain());
        node.put("timestamp", t.timestamp());
        try {
            return new DeadLetter(JSON.writeValueAsBytes(node), DUPLICATE_SOURCE, -1, -1, "trajectory id '" + t.id()
                    + "' is already kept for this key: the first trajectory with it counts, this one is dropped");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render trajectory " + t.id(), e);
        }
    }

    public static DeadLetter unmatched(TrainingSignal s, String reason) {
        return new DeadLetter(toJson(s), UNMATCHED_SOURCE, -1, -1, reason);
    }

    static byte[] toJson(TrainingSignal s) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", s.id());
        node.put("trajectory_id", s.trajectoryId());
        ObjectNode key = node.putObject("key");
        key.put("tenant", s.key().tenant());
        key.put("persona", s.key().persona());
        key.put("domain", s.key().domain());
        node.put("type", s.type().name().toLowerCase());
        node.put("source", s.source().name().toLowerCase());
        node.put("weight", s.weight());
        if (s.target() != null) {
            node.set("target", JSON.valueToTree(s.target()));
        }
        if (s.input() != null) {
            node.set("input", JSON.valueToTree(s.input()));
        }
        node.put("timestamp", s.timestamp());
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render signal " + s.id(), e);
        }
    }
}
