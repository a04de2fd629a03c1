package io.sonaflink.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The end-of-run report: the learning curves as a self-contained HTML page (charts drawn with
 * JFreeChart into inline PNG images: no scripts, opens offline), the same numbers as {@code
 * report.json}, and a text summary.
 */
final class LearningReport {

    /** One moment of the run, as measured on the committed outputs. */
    record Point(double seconds, long eventsConsumed, long consumerLag, LearningProbe.Measures measures,
            int patterns, long adapterVersions, long baseVersions, long deadLetters, long responses,
            double servedHitRate, int taskBoundaries) {}

    /**
     * What the report says beside the curves.
     *
     * @param taskSwitchSeconds when the replay sent the first trajectory of the second task (NaN: never)
     * @param deadLetters dead letters by kind of reason
     * @param versions each key's newest version per adapter kind
     * @param gateDecisions the gate's decisions by type
     */
    record Context(double taskSwitchSeconds, Map<String, OutputWatcher.DeadLetterKind> deadLetters,
            Map<String, Map<String, Long>> versions, Map<String, Integer> gateDecisions) {}

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
    private static final int CHART_WIDTH = 820;
    private static final int CHART_HEIGHT = 320;
    /** Samples further apart than this many sampling intervals are not joined by a line. */
    private static final double GAP_INTERVALS = 3;
    private static final Color SERVED = new Color(0x1f77b4);
    private static final Color BASE = new Color(0x2ca02c);
    private static final Color MICRO = new Color(0xff7f0e);
    private static final Color NONE = new Color(0x7f7f7f);
    private static final Color SWITCH = new Color(0x222222);
    private static final Color BOUNDARY = new Color(0xd62728);
    private static final Color PROMOTION = new Color(0x2ca02c);

    private LearningReport() {}

    /** Writes {@code report.html}, {@code report.json} and {@code summary.txt} into {@code dir}. */
    static void write(Path dir, String summary, List<Point> points, Context context, Map<String, Object> facts)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("summary.txt"), summary);
        Map<String, Object> json = new LinkedHashMap<>(facts);
        json.put("taskSwitchSeconds", context.taskSwitchSeconds());
        json.put("points", points);
        JSON.writeValue(dir.resolve("report.json").toFile(), json);
        Files.writeString(dir.resolve("report.html"), html(summary, points, context));
    }

    static String html(String summary, List<Point> points, Context context) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sona-flink local run</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;color:#222;max-width:60em}")
                .append("pre{background:#f6f6f6;padding:1em}table{border-collapse:collapse;margin:0.5em 0}")
                .append("td,th{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}")
                .append("td:first-child,th:first-child,td.text{text-align:left}img{border:1px solid #ddd}</style></head><body>\n")
                .append("<h1>sona-flink: what the job learned</h1>\n")
                .append("<p>Every number is measured on held-out requests that were never sent, using only what the ")
                .append("job had committed to its output topics at that moment: <b>served</b> is what the inference ")
                .append("operator applies (x + Δbase + Δmicro), beside each adapter alone and no adapter.</p>\n");
        if (!points.isEmpty()) {
            s.append(endTable(points.get(points.size() - 1).measures()));
        }
        s.append("<p>Marks: the black line is where the replay began the second task; dashed red lines are EWC++ ")
                .append("task boundaries the gate saw; thin green lines are base promotions. Samples are a second ")
                .append("apart; a gap (the drain to the savepoint) is left open.</p>\n");
        s.append("<h2>First task</h2>\n").append(image(lossChart("First task: held-out loss (mean over keys)", points, context,
                p -> p.measures().firstTask()), "held-out loss of the first task over time"));
        s.append("<h2>Second (current) task</h2>\n").append(image(lossChart("Second task: held-out loss (mean over keys)", points,
                context, p -> p.measures().secondTask()), "held-out loss of the second task over time"));
        s.append("<h2>Patterns</h2>\n").append(image(chart("Pattern hit rate and route accuracy", "share (0–1)",
                points, context, List.of(
                        new Series("hit rate (held-out)", BASE, p -> p.measures().hitRate()),
                        new Series("best route among hits (held-out)", new Color(0x9467bd),
                                p -> p.measures().routeAccuracy()),
                        new Series("served hit rate (last responses)", MICRO, Point::servedHitRate))),
                "pattern hit rate and route accuracy over time"));
        s.append("<h2>Adapters and the gate</h2>\n").append(versionsTable(context));
        s.append("<h2>Dead letters</h2>\n").append(deadLetterTable(context.deadLetters()));
        s.append("<h2>Summary</h2>\n<pre>").append(escape(summary)).append("</pre>\n</body></html>\n");
        return s.toString();
    }

    /** One line of a chart; {@code dash} null draws it solid (lines that coincide stay visible when dashed). */
    private record Series(String name, Color colour, float width, float[] dash, ToDoubleFunction<Point> value) {
        Series(String name, Color colour, ToDoubleFunction<Point> value) {
            this(name, colour, 2f, null, value);
        }

        BasicStroke stroke() {
            return dash == null ? new BasicStroke(width)
                    : new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f);
        }
    }

    /** What is served, each adapter alone, and no adapter, on one task's probes. */
    static JFreeChart lossChart(String title, List<Point> points, Context context,
            Function<Point, LearningProbe.TaskLoss> task) {
        return chart(title, "½‖f(x) − y‖²", points, context, List.of(
                new Series("served (x + Δbase + Δmicro)", SERVED, 4f, null, p -> task.apply(p).served()),
                new Series("BaseLoRA alone", BASE, 1.5f, new float[] {7f, 4f}, p -> task.apply(p).base()),
                new Series("MicroLoRA alone", MICRO, 1.5f, new float[] {3f, 3f}, p -> task.apply(p).micro()),
                new Series("no adapter", NONE, 1.5f, new float[] {1f, 5f}, p -> task.apply(p).identity())));
    }

    static JFreeChart chart(String title, String yLabel, List<Point> points, Context context, List<Series> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        double gap = GAP_INTERVALS * medianSpacing(points);
        for (Series line : series) {
            XYSeries xy = new XYSeries(line.name(), false, true);
            Point previous = null;
            for (Point p : points) {
                if (previous != null && p.seconds() - previous.seconds() > gap) {
                    xy.add((previous.seconds() + p.seconds()) / 2, null); // no line across a gap
                }
                double v = line.value().applyAsDouble(p);
                xy.add(p.seconds(), Double.isFinite(v) ? (Number) v : null);
                previous = p;
            }
            data.addSeries(xy);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "seconds since the replay began", yLabel, data,
                PlotOrientation.VERTICAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(true);
        // small dots mark the samples, so a lone sample after a gap still shows
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < series.size(); i++) {
            renderer.setSeriesPaint(i, series.get(i).colour());
            renderer.setSeriesStroke(i, series.get(i).stroke());
            renderer.setSeriesShape(i, new java.awt.geom.Ellipse2D.Double(-2, -2, 4, 4));
        }
        plot.setRenderer(renderer);
        plot.setSeriesRenderingOrder(org.jfree.chart.plot.SeriesRenderingOrder.FORWARD); // the thin dashed lines on top
        long bases = 0;
        int boundaries = 0;
        for (Point p : points) {
            if (p.baseVersions() > bases) {
                bases = p.baseVersions();
                plot.addDomainMarker(marker(p.seconds(), PROMOTION, new BasicStroke(0.6f), null));
            }
            if (p.taskBoundaries() > boundaries) {
                // keys find their boundaries seconds apart: one label, half-way down, for all of them
                ValueMarker m = marker(p.seconds(), BOUNDARY, new BasicStroke(1.5f, BasicStroke.CAP_BUTT,
                        BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f),
                        boundaries == 0 ? "EWC++ task boundaries" : null);
                m.setLabelAnchor(RectangleAnchor.RIGHT);
                m.setLabelTextAnchor(TextAnchor.CENTER_LEFT);
                plot.addDomainMarker(m);
                boundaries = p.taskBoundaries();
            }
        }
        if (Double.isFinite(context.taskSwitchSeconds())) {
            plot.addDomainMarker(marker(context.taskSwitchSeconds(), SWITCH, new BasicStroke(1.5f),
                    "second task begins"));
        }
        return chart;
    }

    private static ValueMarker marker(double x, Color colour, BasicStroke stroke, String label) {
        ValueMarker m = new ValueMarker(x, colour, stroke);
        if (label != null) {
            m.setLabel(label);
            m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            m.setLabelPaint(colour);
            m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            m.setLabelTextAnchor(TextAnchor.TOP_LEFT);
        }
        return m;
    }

    private static double medianSpacing(List<Point> points) {
        if (points.size() < 2) {
            return 1;
        }
        double[] d = new double[points.size() - 1];
        for (int i = 1; i < points.size(); i++) {
            d[i - 1] = points.get(i).seconds() - points.get(i - 1).seconds();
        }
        java.util.Arrays.sort(d);
        return Math.max(1e-3, d[d.length / 2]);
    }

    private static String image(JFreeChart chart, String alt) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(png, chart, CHART_WIDTH, CHART_HEIGHT);
        return "<p><img width=\"" + CHART_WIDTH + "\" height=\"" + CHART_HEIGHT + "\" alt=\"" + escape(alt)
                + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray())
                + "\"></p>\n";
    }

    private static String endTable(LearningProbe.Measures m) {
        StringBuilder s = new StringBuilder("<table><tr><th>held-out loss at the end</th><th>served</th>"
                + "<th>BaseLoRA alone</th><th>MicroLoRA alone</th><th>no adapter</th><th>served vs none</th></tr>\n");
        for (int task = 0; task < 2; task++) {
            LearningProbe.TaskLoss t = task == 0 ? m.firstTask() : m.secondTask();
            s.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.5f</td><td>%.5f</td><td>%.5f</td><td>%.5f</td>"
                            + "<td>%.1f %% better</td></tr>%n", task == 0 ? "first task" : "second (current) task",
                    t.served(), t.base(), t.micro(), t.identity(), 100 * t.quality()));
        }
        return s.append("</table>\n").toString();
    }

    private static String versionsTable(Context context) {
        StringBuilder s = new StringBuilder("<table><tr><th>key</th><th>newest BaseLoRA</th><th>newest MicroLoRA</th>"
                + "</tr>\n");
        context.versions().forEach((key, kinds) -> s.append(String.format(Locale.ROOT,
                "<tr><td>%s</td><td>v%d</td><td>v%d</td></tr>%n", escape(key), kinds.getOrDefault("base", 0L),
                kinds.getOrDefault("micro", 0L))));
        s.append("</table>\n<p>Gate decisions: ");
        StringBuilder decisions = new StringBuilder();
        context.gateDecisions().forEach((type, n) ->
                decisions.append(decisions.length() == 0 ? "" : ", ").append(n).append(' ').append(escape(type)));
        return s.append(decisions.length() == 0 ? "none" : decisions).append(".</p>\n").toString();
    }

    private static String deadLetterTable(Map<String, OutputWatcher.DeadLetterKind> kinds) {
        if (kinds.isEmpty()) {
            return "<p>None.</p>\n";
        }
        StringBuilder s = new StringBuilder("<table><tr><th>reason</th><th>count</th><th>fields</th></tr>\n");
        kinds.forEach((kind, k) -> s.append(String.format(Locale.ROOT,
                "<tr><td>%s</td><td>%d</td><td class=\"text\">%s</td></tr>%n",
                escape(kind), k.count(), escape(String.join(", ", k.fields())))));
        return s.append("</table>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
