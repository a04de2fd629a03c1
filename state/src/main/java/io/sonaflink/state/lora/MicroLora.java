package io.sonaflink.state.lora;

import io.sonaflink.state.math.Blocks;

import java.util.Arrays;
import java.util.Objects;

/**
 * The instant loop's rank-1/2 adapter: one SGD step per corrective event, with gradients
 * accumulated and applied every {@link MicroLoraConfig#flushEvery()} events (seed 004's
 * auto-flush). With {@code flushEvery = 1} it is plain per-event SGD.
 *
 * <p>Unlike the seed's heuristic, both projections are trained with the exact gradient of
 * {@code w * 1/2 * ||f(x) - y||^2}. Learned state depends only on the events and their order, so
 * a replay after failover reproduces the same weights bit for bit.
 */
public final class MicroLora {

    private final LoraAdapter adapter;
    private final float[][] pendingGradient;
    private int pendingEvents;
    private long eventsSeen;
    private long flushes;

    public MicroLora(
            LoraAdapter adapter, float[][] pendingGradient, int pendingEvents, long eventsSeen, long flushes) {
        if (adapter.layers() != 1) {
            throw new IllegalArgumentException("MicroLoRA is a single layer, got " + adapter.layers());
        }
        if (!Blocks.sameShape(pendingGradient, adapter.weights())) {
            throw new IllegalArgumentException("pending gradient has the wrong size");
        }
        this.adapter = adapter;
        this.pendingGradient = pendingGradient;
        this.pendingEvents = pendingEvents;
        this.eventsSeen = eventsSeen;
        this.flushes = flushes;
    }

    public static MicroLora create(int dim, MicroLoraConfig config, long seed) {
        LoraAdapter adapter = LoraAdapter.initialize(dim, config.rank(), 1, config.alpha(), seed);
        return new MicroLora(adapter, adapter.newBlocks(), 0, 0L, 0L);
    }

    /**
     * Learns from one corrective event {@code (x, target, weight)}: accumulates its gradient and
     * flushes when {@code flushEvery} events are pending.
     *
     * @return the example's loss before this event's update
     */
    public float observe(float[] x, float[] target, float weight, MicroLoraConfig config, LoraWorkspace ws) {
        float loss = adapter.accumulateGradient(x, target, weight, pendingGradient, ws);
        pendingEvents++;
        eventsSeen++;
        if (pendingEvents >= config.flushEvery()) {
            flush(config);
        }
        return loss;
    }

    /**
     * Applies the pending gradients: {@code theta -= lr * sum(g)}, the same as per-event SGD
     * with the steps deferred to the flush.
     *
     * @return true when anything was applied
     */
    public boolean flush(MicroLoraConfig config) {
        if (pendingEvents == 0) {
            return false;
        }
        Blocks.axpy(-config.learningRate(), pendingGradient, adapter.weights());
        Blocks.clear(pendingGradient);
        pendingEvents = 0;
        flushes++;
        return true;
    }

    /**
     * Restarts the adapter from the identity ({@code B} cleared, pending gradients dropped), keeping
     * {@code A} and the counters: what the served stack does when the base it learned a residual
     * of is replaced.
     */
    public void resetToIdentity() {
        for (int k = 0; k < adapter.rank(); k++) {
            Arrays.fill(adapter.bColumn(0, k), 0f);
        }
        Blocks.clear(pendingGradient);
        pendingEvents = 0;
    }

    public LoraAdapter adapter() {
        return adapter;
    }

    public float[][] pendingGradient() {
        return pendingGradient;
    }

    public int pendingEvents() {
        return pendingEvents;
    }

    public long eventsSeen() {
        return eventsSeen;
    }

    /** Number of flushes that changed the weights; a natural update counter. */
    public long flushes() {
        return flushes;
    }

    public MicroLora copy() {
        return new MicroLora(adapter.copy(), Blocks.copy(pendingGradient), pendingEvents, eventsSeen, flushes);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MicroLora)) {
            return false;
        }
        MicroLora that = (MicroLora) o;
        return pendingEvents == that.pendingEvents
                && eventsSeen == that.eventsSeen
                && flushes == that.flushes
                && adapter.equals(that.adapter)
                && Arrays.deepEquals(pendingGradient, that.pendingGradient);
    }

    @Override
    public int hashCode() {
        return Objects.hash(adapter, pendingEvents, eventsSeen, flushes);
    }
}
