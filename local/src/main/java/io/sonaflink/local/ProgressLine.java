package io.sonaflink.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The local run's one-line progress, made to fit a terminal: the parts a person asks about first
 * (time, rates, lag) come first, and the parts that do not fit the width are left out rather than
 * wrapped, so the line can be rewritten in place.
 */
final class ProgressLine {

    /** Where the terminal's width is unknown. */
    static final int DEFAULT_WIDTH = 80;

    /** What the line shows at one moment. */
    record Sample(double seconds, long produced, long read, long total, long lag, int keys, long baseVersions,
            long microVersions, long deadLetters, double servedHitRate, String phase) {}

    private final int width;
    private Sample previous;
    private double producedRate;
    private double readRate;

    ProgressLine(int width) {
        this.width = Math.max(20, width);
    }

    /** The terminal's width from {@code COLUMNS} (the launch script exports it), else {@link #DEFAULT_WIDTH}. */
    static int terminalWidth(String columns) {
        try {
            int w = columns == null ? 0 : Integer.parseInt(columns.trim());
            return w > 0 ? w : DEFAULT_WIDTH;
        } catch (NumberFormatException e) {
            return DEFAULT_WIDTH;
        }
    }

    /** The line for {@code s}; rates are over the time since the previous sample. */
    String format(Sample s) {
        if (previous != null && s.seconds() > previous.seconds()) {
            double dt = s.seconds() - previous.seconds();
            producedRate = (s.produced() - previous.produced()) / dt;
            readRate = (s.read() - previous.read()) / dt;
        }
        previous = s;
        List<String> parts = new ArrayList<>();
        parts.add(String.format(Locale.ROOT, "[%s%s]", clock(s.seconds()), remaining(s)));
        parts.add(String.format(Locale.ROOT, "in %s/s", count(producedRate)));
        parts.add(String.format(Locale.ROOT, "job %s/s", count(readRate)));
        parts.add(String.format(Locale.ROOT, "lag %s", count(s.lag())));
        parts.add(String.format(Locale.ROOT, "%d/%d read", s.read(), s.total()));
        parts.add(String.format(Locale.ROOT, "%d keys", s.keys()));
        parts.add(String.format(Locale.ROOT, "versions b%d m%d", s.baseVersions(), s.microVersions()));
        parts.add(String.format(Locale.ROOT, "%d dead", s.deadLetters()));
        if (Double.isFinite(s.servedHitRate())) {
            parts.add(String.format(Locale.ROOT, "hits %.0f%%", 100 * s.servedHitRate()));
        }
        if (!s.phase().isEmpty()) {
            parts.add(1, s.phase());
        }
        StringBuilder line = new StringBuilder(parts.get(0));
        for (int i = 1; i < parts.size(); i++) {
            if (line.length() + 3 + parts.get(i).length() > width) {
                continue; // a later, shorter part may still fit
            }
            line.append(" · ").append(parts.get(i));
        }
        return line.length() > width ? line.substring(0, width) : line.toString();
    }

    private String remaining(Sample s) {
        long left = s.total() - s.read();
        if (left <= 0 || readRate <= 0) {
            return "";
        }
        return ", ~" + clock(left / readRate) + " left";
    }

    static String clock(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s < 60 ? s + " s" : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    static String count(double n) {
        if (n >= 10_000_000) {
            return String.format(Locale.ROOT, "%.0fM", n / 1e6);
        }
        if (n >= 10_000) {
            return String.format(Locale.ROOT, "%.0fk", n / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", Math.max(0, n));
    }
}
