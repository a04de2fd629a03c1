package io.sonaflink.jobs.state;

import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;

import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Priority;

import java.util.Collection;

/**
 * RocksDB options for short synchronous checkpoint parts: every keyed state is a column family of
 * its own, and RocksDB's native checkpoint (the synchronous part of an incremental checkpoint, on
 * the task thread) flushes their memtables one after another, each a flush job of its own handed
 * to a background thread and waited for. With atomic flush, one job flushes them all at once. The
 * flush thread pool is one per process, one thread unless raised, shared by every database of a
 * TaskManager; all of them checkpoint at once, so their flushes queued behind each other. It gets
 * {@link #FLUSH_THREADS} threads (idle ones cost nothing; a flush mostly waits for fsync).
 * Opt-in: {@code state.backend.rocksdb.options-factory}. Everything else is left as Flink's
 * configuration ({@code state.backend.rocksdb.*}) sets it.
 */
public final class AtomicFlushOptionsFactory implements RocksDBOptionsFactory {

    private static final long serialVersionUID = 1L;

    /** Flush threads for the whole process at least. */
    static final int FLUSH_THREADS = 8;

    @Override
    public DBOptions createDBOptions(DBOptions currentOptions, Collection<AutoCloseable> handlesToClose) {
        currentOptions.getEnv().incBackgroundThreadsIfNeeded(FLUSH_THREADS, Priority.HIGH);
        return currentOptions.setAtomicFlush(true);
    }

    @Override
    public ColumnFamilyOptions createColumnOptions(
            ColumnFamilyOptions currentOptions, Collection<AutoCloseable> handlesToClose) {
        return currentOptions;
    }
}
