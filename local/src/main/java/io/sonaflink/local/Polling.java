package io.sonaflink.local;

import java.time.Duration;

/** Waiting on a condition outside this process (a broker, a job, committed offsets), with a deadline. */
final class Polling {

    /** A condition; it may throw to stop the wait with an error (the thing waited for failed). */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    private Polling() {}

    /** Checks {@code condition} every {@code every} until it holds; false if {@code timeout} passed first. */
    static boolean until(Condition condition, Duration timeout, Duration every) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(every.toMillis());
        }
        return true;
    }
}
