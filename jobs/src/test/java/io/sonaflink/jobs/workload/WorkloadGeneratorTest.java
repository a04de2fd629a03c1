package io.sonaflink.jobs.workload;

import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.parse.EventParser;
import io.sonaflink.operators.parse.ParseLimits;
import io.sonaflink.operators.parse.ParseResult;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WorkloadGeneratorTest {

    private static final WorkloadSpec SPEC = new WorkloadSpec(3, 500, 32, 5, 4, 0.3, 0.02, 0.5, 11L);

    @Test
    void wellFormedLinesParseAndMalformedOnesAreRejected() {
        Workload w = WorkloadGenerator.generate(SPEC);
        ParseLimits limits = new ParseLimits(32, 1 << 20);
        int rejectedTrajectories = count(w.trajectories(), true, limits);
        int rejectedSignals = count(w.signals(), false, limits);

        assertThat(w.trajectories()).hasSize(3 * 500);
        assertThat(w.malformedTrajectories()).isPositive();
        assertThat(rejectedTrajectories).isEqualTo(w.malformedTrajectories());
        assertThat(rejectedSignals).isEqualTo(w.malformedSignals());
        assertThat(w.clusterOf()).hasSize(3 * 500 - w.malformedTrajectories());
        assertThat(w.signals().size()).isBetween(300, 600); // ~30 % of 1 500
    }

    @Test
    void sameSeedSameWorkload() {
        Workload a = WorkloadGenerator.generate(SPEC);
        Workload b = WorkloadGenerator.generate(SPEC);
        assertThat(a.trajectories()).zipSatisfy(b.trajectories(), (x, y) -> assertThat(x).isEqualTo(y));
        assertThat(a.clusterOf()).isEqualTo(b.clusterOf());
    }

    private static int count(List<byte[]> lines, boolean trajectories, ParseLimits limits) {
        int rejected = 0;
        for (int i = 0; i < lines.size(); i++) {
            RawRecord raw = new RawRecord(lines.get(i), "workload", -1, i);
            ParseResult<?> r = trajectories ? EventParser.parseTrajectory(raw, limits) : EventParser.parseSignal(raw, limits);
            if (r instanceof ParseResult.Rejected) {
                rejected++;
            }
        }
        return rejected;
    }
}
