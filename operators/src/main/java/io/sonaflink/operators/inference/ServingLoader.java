package io.sonaflink.operators.inference;

import io.sonaflink.operators.events.AdapterKind;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Reads parts from a {@link ServingStore} off the task thread, one at a time, and checks each
 * against its entry's digest. A part that is not there yet (the registry makes a version visible
 * when the checkpoint after it completes) or does not match is read again, backing off from {@value
 * #FIRST_RETRY_MS} ms to {@value #MAX_RETRY_MS} ms, until the timeout; then it is a failure. The task
 * thread {@link #request}s and {@link #drain}s; nothing else is shared.
 */
final class ServingLoader implements AutoCloseable {

    static final long FIRST_RETRY_MS = 10;
    static final long MAX_RETRY_MS = 1_000;

    /** A finished read: the content, or why there is none ({@code content} null). */
    record Loaded(ServingEntry entry, Object content, String failure, long tookMs) {}

    private final ServingStore store;
    private final long timeoutMs;
    private final ScheduledExecutorService executor;
    private final Set<String> inFlight = new HashSet<>();
    private final LinkedBlockingQueue<Loaded> done = new LinkedBlockingQueue<>();

    ServingLoader(ServingStore store, long timeoutMs, String threadName) {
        this.store = store;
        this.timeoutMs = timeoutMs;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        pool.setRemoveOnCancelPolicy(true);
        this.executor = pool;
    }

    /** Starts reading {@code entry}'s content, unless that read is already under way. */
    void request(ServingEntry entry) {
        if (inFlight.add(entry.contentSlot())) {
            long started = System.currentTimeMillis();
            executor.execute(() -> attempt(entry, started, FIRST_RETRY_MS));
        }
    }

    /** Whether a read is under way. */
    boolean busy() {
        return !inFlight.isEmpty();
    }

    /** The reads finished since the last call; {@code waitMs} > 0 waits that long for the first one. */
    List<Loaded> drain(long waitMs) throws InterruptedException {
        List<Loaded> finished = new ArrayList<>();
        Loaded first = waitMs > 0 ? done.poll(waitMs, TimeUnit.MILLISECONDS) : done.poll();
        if (first != null) {
            finished.add(first);
            done.drainTo(finished);
        }
        for (Loaded l : finished) {
            inFlight.remove(l.entry().contentSlot());
        }
        return finished;
    }

    private void attempt(ServingEntry entry, long started, long backoffMs) {
        String failure;
        try {
            Object content = read(entry);
            if (content != null) {
                done.add(new Loaded(entry, content, null, System.currentTimeMillis() - started));
                return;
            }
            failure = "not in " + store.description() + " yet";
        } catch (Exception | LinkageError e) {
            failure = e.toString();
        }
        long elapsed = System.currentTimeMillis() - started;
        if (elapsed >= timeoutMs) {
            done.add(new Loaded(entry, null, failure + " (after " + elapsed + " ms)", elapsed));
        } else {
            executor.schedule(() -> attempt(entry, started, Math.min(2 * backoffMs, MAX_RETRY_MS)),
                    Math.min(backoffMs, timeoutMs - elapsed), TimeUnit.MILLISECONDS);
        }
    }

    /** The content if it is there and matches the entry's digest; null if not there; throws if it differs. */
    private Object read(ServingEntry e) throws IOException {
        if (e.part() == ServingEntry.Part.PATTERNS) {
            var s = store.patterns(e.key(), e.version());
            if (s != null && ServingDigest.of(s) != e.digest()) {
                throw new IOException("pattern bank of cycle " + e.version() + " does not match its digest");
            }
            return s;
        }
        var u = store.adapter(e.key(), e.part() == ServingEntry.Part.BASE ? AdapterKind.BASE : AdapterKind.MICRO,
                e.version());
        if (u != null && ServingDigest.of(u) != e.digest()) {
            throw new IOException("weights of v" + e.version() + " do not match their digest");
        }
        return u;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
