package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.math.DeterministicRandom;

import org.apache.flink.api.connector.sink2.Committer.CommitRequest;

import java.util.Map;
import java.util.TreeMap;

/** Adapter updates with learned-looking weights (non-zero B), as the gate publishes them. */
final class RegistryFixtures {

    static final AdapterKey KEY = new AdapterKey("acme", "support", "billing");

    private RegistryFixtures() {}

    static AdapterUpdate update(AdapterKind kind, long version, int dim, int rank, long servedWithBase, long seed) {
        LoraAdapter adapter = LoraAdapter.initialize(dim, rank, 1, 2f * rank, seed);
        DeterministicRandom random = new DeterministicRandom(seed + 1);
        for (int k = 0; k < rank; k++) {
            float[] column = adapter.bColumn(0, k);
            for (int i = 0; i < dim; i++) {
                column[i] = (float) (random.nextDouble() - 0.5);
            }
        }
        Map<String, Double> metrics = new TreeMap<>(Map.of("gate.quality", 0.5));
        if (kind == AdapterKind.MICRO) {
            metrics.put(AdapterUpdate.METRIC_SERVED_WITH_BASE, (double) servedWithBase);
        }
        return AdapterUpdate.of(KEY, kind, version, version - 1, adapter, metrics, 1_700_000_000_000L + version);
    }

    /** A rollback as the gate publishes it: the target's weights under a new version. */
    static AdapterUpdate rollback(AdapterUpdate target, long version) {
        Map<String, Double> metrics = new TreeMap<>(target.metrics());
        metrics.put(AdapterGateFunction.METRIC_ROLLED_BACK_TO, (double) target.version());
        return new AdapterUpdate(target.key(), target.kind(), version, version - 1, target.rank(), target.layers(),
                target.alpha(), target.weights(), metrics, target.createdAt() + 100);
    }

    /** What Flink's committer operator hands a committer, recording how the committer answered. */
    static final class Request<T> implements CommitRequest<T> {
        final T committable;
        Throwable failure;
        int retries;

        Request(T committable) {
            this.committable = committable;
        }

        @Override
        public T getCommittable() {
            return committable;
        }

        @Override
        public int getNumberOfRetries() {
            return retries;
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            failure = t;
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            failure = t;
        }

        @Override
        public void retryLater() {
            retries++;
        }

        @Override
        public void updateAndRetryLater(T c) {
            retries++;
        }

        @Override
        public void signalAlreadyCommitted() {}
    }
}
