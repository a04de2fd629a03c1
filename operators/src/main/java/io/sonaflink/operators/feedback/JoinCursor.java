package io.sonaflink.operators.feedback;

import io.sonaflink.state.serialization.CodecTypeInformation;
import io.sonaflink.state.serialization.VersionedCodec;

import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Where one adapter key stands in the feedback join: its trajectories are numbered in arrival
 * order; those below {@link #settled} have been passed on to the background loop, those from
 * {@link #first} on are still kept for late corrections. Early signals (their trajectory not seen
 * yet) are numbered the same way. The cursor is small and read on every event, so it is bundled on
 * the heap; the trajectories themselves live in map state.
 */
public final class JoinCursor {

    static final long NO_TIMER = Long.MIN_VALUE;

    static final TypeInformation<JoinCursor> TYPE = new CodecTypeInformation<>(JoinCursor.class, new Codec());

    /** Oldest kept trajectory's number. */
    long first;
    /** Trajectories below this number have been passed on. */
    long settled;
    /** Number of the next trajectory. */
    long next;
    /** Oldest waiting early signal's number. */
    long earlyFirst;
    /** Number of the next early signal. */
    long earlyNext;
    /** The processing-time timer registered for this key, or {@link #NO_TIMER}. */
    long timer = NO_TIMER;

    long kept() {
        return next - first;
    }

    long pending() {
        return next - settled;
    }

    long earlyWaiting() {
        return earlyNext - earlyFirst;
    }

    boolean isEmpty() {
        return kept() == 0 && earlyWaiting() == 0;
    }

    /** v1: first, settled, next, early first, early next, timer. */
    public static final class Codec extends VersionedCodec<JoinCursor> {
        private static final long serialVersionUID = 1L;

        public Codec() {
            super(1);
        }

        @Override
        public void write(JoinCursor c, DataOutput out) throws IOException {
            out.writeLong(c.first);
            out.writeLong(c.settled);
            out.writeLong(c.next);
            out.writeLong(c.earlyFirst);
            out.writeLong(c.earlyNext);
            out.writeLong(c.timer);
        }

        @Override
        protected JoinCursor readVersion(DataInput in, int version) throws IOException {
            JoinCursor c = new JoinCursor();
            c.first = in.readLong();
            c.settled = in.readLong();
            c.next = in.readLong();
            c.earlyFirst = in.readLong();
            c.earlyNext = in.readLong();
            c.timer = in.readLong();
            return c;
        }

        @Override
        public JoinCursor copy(JoinCursor c) {
            JoinCursor copy = new JoinCursor();
            copy.first = c.first;
            copy.settled = c.settled;
            copy.next = c.next;
            copy.earlyFirst = c.earlyFirst;
            copy.earlyNext = c.earlyNext;
            copy.timer = c.timer;
            return copy;
        }
    }
}
