package io.sonaflink.operators.inference;

import io.sonaflink.state.serving.LowRankDelta;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The batched product on DJL (PyTorch), the Punica / S-LoRA idea: the batch's distinct stacks are
 * stacked once ({@code A: [u, r, d]}, {@code B: [u, d, r]}, lower ranks padded with zeros, which
 * add nothing), gathered per query by index, and applied to all queries in two batched matrix
 * products, {@code Y = X + B[idx]·(A[idx]·X)}, one kernel each over heterogeneous adapters.
 *
 * <p>Only this class touches DJL, so that the operator runs without DJL on the class path.
 */
final class DjlBatchApply implements BatchApply {

    private final NDManager root;
    private final Device device;

    private DjlBatchApply(NDManager root, Device device) {
        this.root = root;
        this.device = device;
    }

    /**
     * DJL's PyTorch engine on {@code requested}: CPU, GPU, or for AUTO a GPU when the engine sees
     * one and null otherwise (on the CPU plain Java is faster at these adapter sizes).
     *
     * @throws IllegalStateException if a GPU is requested and the engine sees none
     */
    static DjlBatchApply open(InferenceDevice requested) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true"); // never download natives at run time unless told to
        }
        Engine engine = Engine.getEngine("PyTorch");
        int gpus = engine.getGpuCount();
        if (requested == InferenceDevice.GPU && gpus == 0) {
            throw new IllegalStateException("sona.inference.device is gpu, but DJL's PyTorch engine "
                    + engine.getVersion() + " sees no GPU (CUDA natives and a visible device are needed)");
        }
        if (requested == InferenceDevice.AUTO && gpus == 0) {
            return null;
        }
        Device device = requested == InferenceDevice.CPU ? Device.cpu() : Device.gpu();
        return new DjlBatchApply(engine.newBaseManager(device), device);
    }

    @Override
    public void apply(float[][] xs, LowRankDelta[] deltas, int n, float[][] outs) {
        int d = xs[0].length;
        Map<LowRankDelta, Integer> slots = new IdentityHashMap<>();
        long[] index = new long[n];
        int maxRank = 1;
        for (int i = 0; i < n; i++) {
            Integer slot = slots.get(deltas[i]);
            if (slot == null) {
                slot = slots.size();
                slots.put(deltas[i], slot);
                maxRank = Math.max(maxRank, deltas[i].rank());
            }
            index[i] = slot;
        }
        int u = slots.size();
        float[] a = new float[u * maxRank * d];
        float[] bt = new float[u * maxRank * d];
        for (Map.Entry<LowRankDelta, Integer> e : slots.entrySet()) {
            LowRankDelta delta = e.getKey();
            int at = e.getValue() * maxRank * d;
            System.arraycopy(delta.a(), 0, a, at, delta.rank() * d);
            System.arraycopy(delta.bTransposed(), 0, bt, at, delta.rank() * d);
        }
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(xs[i], 0, x, i * d, d);
        }
        try (NDManager batch = root.newSubManager()) {
            NDArray xArray = batch.create(x, new Shape(n, d));
            NDArray idx = batch.create(index);
            NDArray aGathered = batch.create(a, new Shape(u, maxRank, d)).get(new NDIndex("{}", idx));
            NDArray btGathered = batch.create(bt, new Shape(u, maxRank, d)).get(new NDIndex("{}", idx));
            NDArray ax = xArray.expandDims(1).matMul(aGathered.transpose(0, 2, 1)); // [n, 1, r]
            float[] y = ax.matMul(btGathered).squeeze(1).add(xArray).toFloatArray(); // [n, d]
            for (int i = 0; i < n; i++) {
                System.arraycopy(y, i * d, outs[i], 0, d);
            }
        }
    }

    @Override
    public String description() {
        return "djl " + device;
    }

    @Override
    public void close() {
        root.close();
    }
}
