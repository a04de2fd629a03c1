package io.sonaflink.operators.inference;

import io.sonaflink.state.serving.LowRankDelta;

/**
 * Applies many keys' served stacks to a batch of queries at once: {@code outs[i] = xs[i] +
 * B_i·(A_i·xs[i])} with {@code (A_i, B_i)} the {@link LowRankDelta} of query {@code i}. Stacks
 * differ in rank from query to query (a key with no MicroLoRA yet, another with both).
 */
interface BatchApply extends AutoCloseable {

    /** Computes the first {@code n} entries; every {@code deltas[i].dim()} is {@code xs[i].length}. */
    void apply(float[][] xs, LowRankDelta[] deltas, int n, float[][] outs);

    /** What computes, for the log and the metrics ("java", "djl cpu()", "djl gpu(0)"). */
    String description();

    @Override
    default void close() {}

    /** One query at a time on the task thread: the fastest for small batches. */
    final class Java implements BatchApply {
        private float[] scratch = new float[0];

        @Override
        public void apply(float[][] xs, LowRankDelta[] deltas, int n, float[][] outs) {
            for (int i = 0; i < n; i++) {
                if (scratch.length < deltas[i].rank()) {
                    scratch = new float[deltas[i].rank()];
                }
                deltas[i].apply(xs[i], outs[i], scratch);
            }
        }

        @Override
        public String description() {
            return "java";
        }
    }
}
