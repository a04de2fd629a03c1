package io.sonaflink.local;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressLineTest {

    private static ProgressLine.Sample sample(double seconds, long produced, long read, String phase) {
        return new ProgressLine.Sample(seconds, produced, read, 20_000, produced - read, 12, 140, 1_520, 93, 0.47,
                phase);
    }

    @Test
    void ratesAreOverTheLastIntervalAndTheTimeLeftFollowsFromThem() {
        ProgressLine line = new ProgressLine(200);
        line.format(sample(10, 9_000, 8_000, ""));
        String text = line.format(sample(12, 11_000, 10_000, ""));
        assertThat(text).isEqualTo("[12 s, ~10 s left] · in 1000/s · job 1000/s · lag 1000 · 10000/20000 read"
                + " · 12 keys · versions b140 m1520 · 93 dead · hits 47%");
    }

    @Test
    void aNarrowTerminalGetsTheFirstPartsThatFitNeverAWrappedLine() {
        for (int width = 20; width <= 120; width++) {
            ProgressLine line = new ProgressLine(width);
            line.format(sample(10, 9_000, 8_000, ""));
            String text = line.format(sample(75, 19_000, 18_000, "learning the last trajectories"));
            assertThat(text.length()).as("width %d", width).isLessThanOrEqualTo(width);
            assertThat(text).startsWith("[1:15");
        }
        ProgressLine eighty = new ProgressLine(80);
        String text = eighty.format(sample(5, 100, 0, ""));
        assertThat(text).contains("in 0/s").contains("lag 100").doesNotContain("~");
    }

    @Test
    void anUnknownOrBadWidthFallsBackToEightyColumns() {
        assertThat(ProgressLine.terminalWidth(null)).isEqualTo(80);
        assertThat(ProgressLine.terminalWidth("wide")).isEqualTo(80);
        assertThat(ProgressLine.terminalWidth(" 132 ")).isEqualTo(132);
    }

    @Test
    void largeCountsAreShortened() {
        assertThat(ProgressLine.count(52_345)).isEqualTo("52k");
        assertThat(ProgressLine.count(12_345_678)).isEqualTo("12M");
        assertThat(ProgressLine.clock(3_725)).isEqualTo("62:05");
    }
}
