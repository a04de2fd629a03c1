package io.sonaflink.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The end-of-run report: the learning curve as a self-contained HTML page (inline SVG charts, no
 * scripts, opens offline), the same numbers as {@code report.json}, and a text summary.
 */
final class LearningReport {

    /** One moment of the run, as measured on the committed outputs. */
    record Point(double seconds, long eventsConsumed, long consumerLag, LearningProbe.Measures measures,
            int patterns, long adapterVersions, long deadLetters, long responses, double servedHitRate,
            int taskBoundaries) {}

    /** A number that is not finite (a rate of nothing yet) is written as null: JSON has no NaN. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new com.fasterxml.jackson.databind.module.SimpleModule()
                    .addSerializer(Double.class, new FiniteOrNull())
                    .addSerializer(double.class, new FiniteOrNull()));

    private static final class FiniteOrNull extends com.fasterxml.jackson.databind.ser.std.StdSerializer<Double> {
        FiniteOrNull() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, com.fasterxml.jackson.core.JsonGenerator gen,
                com.fasterxml.jackson.databind.SerializerProvider provider) throws IOException {
            if (value == null || !Double.isFinite(value)) {
                gen.writeNull();
            } else {
                gen.writeNumber(value);
            }
        }
    }
    private static final int WIDTH = 640;
    private static final int HEIGHT = 260;
    private static final int MARGIN = 48;

    private LearningReport() {}

    /** Writes {@code report.html}, {@code report.json} and {@code summary.txt} into {@code dir}. */
    static void write(Path dir, String summary, List<Point> points, Map<String, Object> facts) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("summary.txt"), summary);
        Map<String, Object> json = new LinkedHashMap<>(facts);
        json.put("points", points);
        JSON.writeValue(dir.resolve("report.json").toFile(), json);
        Files.writeString(dir.resolve("report.html"), html(summary, points));
    }

    static String html(String summary, List<Point> points) {
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sona-flink local run</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;color:#222}pre{background:#f6f6f6;padding:1em}")
                .append("svg{background:#fff;border:1px solid #ddd;margin:0.5em 0}</style></head><body>\n")
                .append("<h1>sona-flink: what the job learned</h1>\n")
                .append("<p>Measured on held-out requests that were never sent, using only what the job had ")
                .append("committed to its output topics at each moment.</p>\n");
        s.append("<p>Dashed vertical lines: the gate saw an EWC++ task boundary (a key's base candidate started a "
                + "new task).</p>\n");
        s.append("<h2>Held-out loss of the first task (½‖f(x) − y‖², mean over keys)</h2>\n");
        s.append(chart(points, "loss", taskSeries(p -> p.measures().firstTask())));
        s.append("<h2>Held-out loss of the second task</h2>\n");
        s.append(chart(points, "loss", taskSeries(p -> p.measures().secondTask())));
        s.append("<h2>Pattern hit rate and route accuracy (held-out, and as served to probe queries)</h2>\n");
        s.append(chart(points, "share", List.of(
                new Series("hit rate", "#2ca02c", p -> p.measures().hitRate()),
                new Series("best route among hits", "#9467bd", p -> p.measures().routeAccuracy()),
                new Series("served hit rate (responses)", "#ff7f0e", Point::servedHitRate))));
        s.append("<h2>Summary</h2>\n<pre>").append(escape(summary)).append("</pre>\n</body></html>\n");
        return s.toString();
    }

    private record Series(String name, String colour, ToDoubleFunction<Point> value) {}

    /** What is served, each adapter alone, and no adapter, on one task's probes. */
    private static List<Series> taskSeries(java.util.function.Function<Point, LearningProbe.TaskLoss> task) {
        return List.of(
                new Series("served (x + Δbase + Δmicro)", "#1f77b4", p -> task.apply(p).served()),
                new Series("BaseLoRA alone", "#2ca02c", p -> task.apply(p).base()),
                new Series("MicroLoRA alone", "#ff7f0e", p -> task.apply(p).micro()),
                new Series("no adapter", "#999999", p -> task.apply(p).identity()));
    }

    private static String chart(List<Point> points, String yLabel, List<Series> series) {
        double maxX = points.isEmpty() ? 1 : Math.max(1e-9, points.get(points.size() - 1).seconds());
        double maxY = 1e-12;
        for (Series line : series) {
            for (Point p : points) {
                double v = line.value().applyAsDouble(p);
                if (Double.isFinite(v)) {
                    maxY = Math.max(maxY, v);
                }
            }
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">%n",
                WIDTH + 200, HEIGHT, WIDTH + 200, HEIGHT));
        int plotW = WIDTH - 2 * MARGIN;
        int plotH = HEIGHT - 2 * MARGIN;
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>%n",
                MARGIN, HEIGHT - MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>%n",
                MARGIN, MARGIN, MARGIN, HEIGHT - MARGIN));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s (max %.4g)</text>%n",
                4, MARGIN - 12, yLabel, maxY));
        s.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">seconds (%.0f)</text>%n",
                WIDTH - MARGIN, HEIGHT - MARGIN + 28, maxX));
        int seenBoundaries = 0;
        for (Point p : points) {
            if (p.taskBoundaries() > seenBoundaries) {
                seenBoundaries = p.taskBoundaries();
                double x = MARGIN + plotW * p.seconds() / maxX;
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                        + "stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>%n", x, MARGIN, x, HEIGHT - MARGIN));
            }
        }
        for (int i = 0; i < series.size(); i++) {
            Series line = series.get(i);
            List<String> xy = new ArrayList<>();
            for (Point p : points) {
                double v = line.value().applyAsDouble(p);
                if (Double.isFinite(v)) {
                    xy.add(String.format(Locale.ROOT, "%.1f,%.1f", MARGIN + plotW * p.seconds() / maxX,
                            HEIGHT - MARGIN - plotH * v / maxY));
                }
            }
            s.append(String.format(Locale.ROOT,
                    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                    line.colour(), String.join(" ", xy)));
            s.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n",
                    WIDTH, MARGIN + 18 * i, line.colour(), WIDTH + 18, MARGIN + 18 * i + 5, escape(line.name())));
        }
        return s.append("</svg>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
