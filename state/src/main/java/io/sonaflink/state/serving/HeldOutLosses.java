package io.sonaflink.state.serving;

import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.math.Vectors;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The losses of one key's held-out examples, remembered between validations. A gate judges every
 * candidate against the model served now on the same held-out sets, and the model served now is
 * nearly always the one it judged last time (as the current model when the candidate was rejected,
 * as the candidate when it was promoted). Remembering each example's loss under the last {@value
 * #MODELS} models, and under no adapter, leaves one forward per example and candidate instead of
 * three. The numbers are the ones {@link ServedModel#loss} gives: a validation with a memory and
 * one without reach the same verdict, bit for bit.
 *
 * <p>Models are matched by their adapters' contents (a published version read back from state is
 * a new object with the same weights). Losses are kept per set, by position, with the example
 * they belong to: an example is reused when the same object is at the same position again (a
 * held-out ring keeps its examples in place and replaces one at a time), so checking costs a
 * reference comparison. Only the sets of the latest validation are kept. Not thread-safe.
 */
public final class HeldOutLosses {

    /** Models whose losses are remembered: the current model and the last candidate. */
    static final int MODELS = 2;

    private final Memory[] models = new Memory[MODELS];
    private final Memory identity = new Memory(null);
    private long round;

    /**
     * Starts a validation on {@code sets} (the losses of other sets are forgotten) and returns the
     * memories of its two models, the current model's first, so that a new candidate never
     * displaces it.
     */
    Memory[] nextRound(ServedModel current, ServedModel candidate, List<ServedModelValidator.HeldOutSet> sets) {
        round++;
        Set<String> names = new HashSet<>();
        for (ServedModelValidator.HeldOutSet set : sets) {
            names.add(set.name());
        }
        identity.keepOnly(names);
        for (Memory m : models) {
            if (m != null) {
                m.keepOnly(names);
            }
        }
        Memory currentMemory = memoryOf(current);
        Memory candidateMemory = memoryOf(candidate);
        return new Memory[] {currentMemory, candidateMemory};
    }

    /** The identity's losses on {@code set}, {@code w * 1/2 ||x - y||^2} by example, in the set's order. */
    double[] identityLosses(ServedModelValidator.HeldOutSet set) {
        return identity.losses(set, null);
    }

    private Memory memoryOf(ServedModel model) {
        int oldest = 0;
        for (int i = 0; i < MODELS; i++) {
            Memory m = models[i];
            if (m == null) {
                oldest = i;
                break;
            }
            if (m.model == model || sameModel(m.model, model)) {
                m.lastUsed = round;
                return m;
            }
            if (m.lastUsed < models[oldest].lastUsed) {
                oldest = i;
            }
        }
        Memory fresh = new Memory(model);
        fresh.lastUsed = round;
        models[oldest] = fresh;
        return fresh;
    }

    private static boolean sameModel(ServedModel a, ServedModel b) {
        return Objects.equals(a.base(), b.base()) && Objects.equals(a.micro(), b.micro());
    }

    /** One model's losses (null: the identity's), by set and position. */
    static final class Memory {
        private final ServedModel model;
        private long lastUsed;
        private final Map<String, Losses> bySet = new HashMap<>();

        private Memory(ServedModel model) {
            this.model = model;
        }

        private void keepOnly(Set<String> names) {
            bySet.keySet().retainAll(names);
        }

        /**
         * The model's loss on each example of {@code set}, in its order, as {@link
         * ServedModel#loss} computes it with {@code ws}. The array belongs to this memory: read it
         * before the next call.
         */
        double[] losses(ServedModelValidator.HeldOutSet set, ServedModel.Workspace ws) {
            List<TrainingExample> examples = set.examples();
            int n = examples.size();
            Losses known = bySet.get(set.name());
            if (known == null || known.examples.length != n) {
                known = Losses.of(known, n);
                bySet.put(set.name(), known);
            }
            for (int i = 0; i < n; i++) {
                TrainingExample e = examples.get(i);
                if (known.examples[i] != e) {
                    known.examples[i] = e;
                    known.values[i] = model == null
                            ? 0.5 * e.weight() * Vectors.squaredDistance(e.input(), e.target())
                            : model.loss(e.input(), e.target(), e.weight(), ws);
                }
            }
            return known.values;
        }
    }

    /** Losses by position, with the example each belongs to. */
    private static final class Losses {
        final TrainingExample[] examples;
        final double[] values;

        private Losses(int n) {
            examples = new TrainingExample[n];
            values = new double[n];
        }

        /** Arrays of size {@code n}, with what {@code before} knows of the first positions. */
        static Losses of(Losses before, int n) {
            Losses resized = new Losses(n);
            if (before != null) {
                int keep = Math.min(n, before.examples.length);
                System.arraycopy(before.examples, 0, resized.examples, 0, keep);
                System.arraycopy(before.values, 0, resized.values, 0, keep);
            }
            return resized;
        }
    }
}
