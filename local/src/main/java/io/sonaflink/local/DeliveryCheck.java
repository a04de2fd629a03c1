package io.sonaflink.local;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The callback of every workload send: a send that fails after {@code send()} returned (a batch
 * expired, a broker error beyond the retries) is otherwise silent, and a run then waits for
 * records the broker never got.
 */
final class DeliveryCheck implements Callback {

    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> first = new AtomicReference<>();

    @Override
    public void onCompletion(RecordMetadata metadata, Exception exception) {
        if (exception != null) {
            failed.incrementAndGet();
            first.compareAndSet(null, exception);
        }
    }

    /** Sends that failed so far. */
    long failed() {
        return failed.get();
    }

    /** Throws, naming the first cause, when a send failed; call after the producer's flush. */
    void check(long sent) throws IOException {
        long n = failed.get();
        if (n > 0) {
            throw new IOException(n + " of " + sent + " workload records did not reach the broker: "
                    + first.get(), first.get());
        }
    }
}
