package io.sonaflink.operators.inference;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.serving.LowRankDelta;
import io.sonaflink.state.serving.ServedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The batched products give what the served model gives, query by query: the Java path exactly
 * (same arithmetic as {@link ServedModel#forward} up to summation order), DJL on the CPU within
 * 1e-5 of it, over batches that mix stacks of rank 2 (MicroLoRA only), 8 (BaseLoRA only) and 10
 * (both) and the identity.
 */
class BatchApplyTest {

    private static final int DIM = 64;
    private static DjlBatchApply djl;

    @BeforeAll
    static void openDjl() {
        djl = DjlBatchApply.open(InferenceDevice.CPU);
    }

    @AfterAll
    static void closeDjl() {
        djl.close();
    }

    @Test
    void javaPathIsTheServedModel() {
        Batch batch = batch(50, 7L);
        float[][] outs = new float[batch.xs.length][DIM];
        new BatchApply.Java().apply(batch.xs, batch.deltas, batch.xs.length, outs);
        for (int i = 0; i < batch.xs.length; i++) {
            float[] expected = batch.models.get(i).apply(batch.xs[i]);
            for (int j = 0; j < DIM; j++) {
                assertThat(outs[i][j]).isCloseTo(expected[j], within(1e-5f));
            }
        }
    }

    @Test
    void djlGivesTheJavaAnswersForBatchesOfAnySize() {
        for (int n : new int[] {1, 7, 300}) {
            Batch batch = batch(n, 11L + n);
            float[][] java = new float[n][DIM];
            float[][] device = new float[n][DIM];
            new BatchApply.Java().apply(batch.xs, batch.deltas, n, java);
            djl.apply(batch.xs, batch.deltas, n, device);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < DIM; j++) {
                    assertThat(device[i][j]).as("batch %d, query %d, coordinate %d", n, i, j)
                            .isCloseTo(java[i][j], within(1e-5f));
                }
            }
        }
        assertThat(djl.description()).isEqualTo("djl cpu()");
    }

    /** Queries of one batch with keys whose stacks have different ranks, some the identity. */
    private static Batch batch(int n, long seed) {
        DeterministicRandom random = new DeterministicRandom(seed);
        List<ServedModel> stacks = List.of(ServedModel.IDENTITY,
                new ServedModel(null, adapter(2, seed + 1)),
                new ServedModel(adapter(8, seed + 2), null),
                new ServedModel(adapter(8, seed + 3), adapter(2, seed + 4)),
                new ServedModel(adapter(8, seed + 5), adapter(2, seed + 6)));
        List<LowRankDelta> deltas = stacks.stream().map(m -> LowRankDelta.of(m, DIM)).toList();
        Batch b = new Batch(new float[n][DIM], new LowRankDelta[n], new ArrayList<>());
        for (int i = 0; i < n; i++) {
            int s = (int) (random.nextDouble() * stacks.size());
            for (int j = 0; j < DIM; j++) {
                b.xs[i][j] = (float) (random.nextDouble() * 2 - 1);
            }
            b.deltas[i] = deltas.get(s);
            b.models.add(stacks.get(s));
        }
        return b;
    }

    private static LoraAdapter adapter(int rank, long seed) {
        LoraAdapter a = LoraAdapter.initialize(DIM, rank, 1, 2f * rank, seed);
        DeterministicRandom random = new DeterministicRandom(seed * 31);
        for (int k = 0; k < rank; k++) {
            float[] column = a.bColumn(0, k);
            for (int i = 0; i < DIM; i++) {
                column[i] = (float) (random.nextDouble() - 0.5);
            }
        }
        return a;
    }

    private record Batch(float[][] xs, LowRankDelta[] deltas, List<ServedModel> models) {}
}
