package io.sonaflink.state.serving;

import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.math.Vectors;

import java.util.ArrayList;
import java.util.List;

/**
 * The change a served stack makes to its input as one low-rank product, {@code Δ(x) = B·(A·x)}:
 * for single-layer adapters {@code Δ(x) = Σ s_j B_j A_j x}, which is {@code A = [A_1; A_2; ...]}
 * ({@code [r, d]}, {@code r = Σ r_j}) and {@code B = [s_1 B_1 | s_2 B_2 | ...]} ({@code [d, r]},
 * the scales folded in). This is the form batched kernels (one gathered product over many keys'
 * adapters) and serving stacks (a PEFT LoRA with scale 1) take. Stacked layers compose rather than
 * add and have no such form ({@link #of} returns null).
 *
 * <p>Kept as {@code A} and {@code Bᵀ} ({@code [r, d]} each, row-major), so that applying it is r dot
 * products and r axpys over whole rows (the loops HotSpot vectorises). Immutable; the arrays must
 * not be changed.
 */
public final class LowRankDelta {

    /** No change at all (rank 0). */
    public static LowRankDelta identity(int dim) {
        return new LowRankDelta(dim, 0, new float[0], new float[0]);
    }

    private final int dim;
    private final int rank;
    private final float[] a;
    private final float[] bt;

    private LowRankDelta(int dim, int rank, float[] a, float[] bt) {
        this.dim = dim;
        this.rank = rank;
        this.a = a;
        this.bt = bt;
    }

    /**
     * The served model's change for requests of dimension {@code dim}, or null when an adapter
     * that applies has more than one layer. Adapters of another dimension do not apply (as in
     * {@link ServedModel#forward}).
     */
    public static LowRankDelta of(ServedModel model, int dim) {
        List<LoraAdapter> parts = new ArrayList<>(2);
        for (LoraAdapter adapter : new LoraAdapter[] {model.base(), model.micro()}) {
            if (ServedModel.applies(adapter, dim)) {
                if (adapter.layers() != 1) {
                    return null;
                }
                parts.add(adapter);
            }
        }
        int rank = parts.stream().mapToInt(LoraAdapter::rank).sum();
        float[] a = new float[rank * dim];
        float[] bt = new float[rank * dim];
        int offset = 0;
        for (LoraAdapter adapter : parts) {
            float s = adapter.scale();
            for (int k = 0; k < adapter.rank(); k++) {
                System.arraycopy(adapter.aRow(0, k), 0, a, (offset + k) * dim, dim);
                float[] column = adapter.bColumn(0, k);
                int row = (offset + k) * dim;
                for (int i = 0; i < dim; i++) {
                    bt[row + i] = s * column[i];
                }
            }
            offset += adapter.rank();
        }
        return new LowRankDelta(dim, rank, a, bt);
    }

    public int dim() {
        return dim;
    }

    public int rank() {
        return rank;
    }

    /** {@code A}, {@code [rank, dim]} row-major. */
    public float[] a() {
        return a;
    }

    /** {@code Bᵀ} with the scales folded in, {@code [rank, dim]} row-major (row k is column k of B). */
    public float[] bTransposed() {
        return bt;
    }

    /** A copy of {@code B} with the scales folded in, {@code [dim, rank]} row-major. */
    public float[] b() {
        float[] b = new float[dim * rank];
        for (int k = 0; k < rank; k++) {
            for (int i = 0; i < dim; i++) {
                b[i * rank + k] = bt[k * dim + i];
            }
        }
        return b;
    }

    /** {@code out = x + B·(A·x)}; {@code scratch} holds at least {@code rank} floats. Allocation-free. */
    public void apply(float[] x, float[] out, float[] scratch) {
        for (int k = 0; k < rank; k++) {
            scratch[k] = Vectors.dot(a, k * dim, x, 0, dim);
        }
        System.arraycopy(x, 0, out, 0, dim);
        for (int k = 0; k < rank; k++) {
            float c = scratch[k];
            int row = k * dim;
            for (int i = 0; i < dim; i++) {
                out[i] += c * bt[row + i];
            }
        }
    }
}
