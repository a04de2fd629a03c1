package io.sonaflink.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import static org.assertj.core.api.Assertions.assertThat;

class LearningReportTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    /** Samples a second apart for 20 s, a drain of 10 s, one sample after it; a base promotion at 5 s and 12 s. */
    private static List<LearningReport.Point> points() {
        List<LearningReport.Point> points = new ArrayList<>();
        for (int t = 1; t <= 20; t++) {
            points.add(point(t, t < 5 ? 0 : t < 12 ? 1 : 2, t < 15 ? 0 : 1, 0.04 / t));
        }
        points.add(point(31, 2, 1, 0.001));
        return points;
    }

    private static LearningReport.Point point(double seconds, long bases, int boundaries, double loss) {
        LearningProbe.TaskLoss task = new LearningProbe.TaskLoss(loss, loss, 0.04, 0.04);
        return new LearningReport.Point(seconds, 100, 0, new LearningProbe.Measures(task, task, 0.5, Double.NaN), 4,
                bases + 10, bases, 3, 7, Double.NaN, boundaries);
    }

    private static final LearningReport.Context CONTEXT = new LearningReport.Context(8.0,
            Map.of("NaN is not allowed", new OutputWatcher.DeadLetterKind(3, List.of("embedding[…]", "target[…]")),
                    "malformed JSON", new OutputWatcher.DeadLetterKind(2, List.of())),
            Map.of("acme/assistant/<general>", Map.of("base", 2L, "micro", 9L)), Map.of("promoted", 11));

    @Test
    void chartsMarkTheTaskSwitchEachBoundaryAndEachPromotionAndLeaveGapsOpen() {
        JFreeChart chart = LearningReport.lossChart("t", points(), CONTEXT, p -> p.measures().firstTask());
        XYPlot plot = chart.getXYPlot();
        List<Double> marks = plot.getDomainMarkers(org.jfree.chart.ui.Layer.FOREGROUND).stream()
                .map(m -> ((ValueMarker) m).getValue()).sorted().toList();
        assertThat(marks).containsExactly(5.0, 8.0, 12.0, 15.0);
        XYDataset data = plot.getDataset();
        assertThat(data.getSeriesCount()).isEqualTo(4);
        assertThat(data.getSeriesKey(0)).isEqualTo("served (x + Δbase + Δmicro)");
        // 20 samples, an open gap (NaN) in the drain, the sample after it
        assertThat(data.getItemCount(0)).isEqualTo(22);
        assertThat(data.getXValue(0, 20)).isEqualTo(25.5);
        assertThat(data.getYValue(0, 20)).isNaN();
        assertThat(data.getYValue(0, 21)).isEqualTo(0.001);
    }

    @Test
    void thePageHasThreeChartImagesTablesAndValidJson(@TempDir Path dir) throws Exception {
        LearningReport.write(dir, "summary <text>", points(), CONTEXT, Map.of("ratio", Double.NaN));
        String html = Files.readString(dir.resolve("report.html"));
        Matcher images = java.util.regex.Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")
                .matcher(html);
        int count = 0;
        while (images.find()) {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(images.group(1))));
            assertThat(image.getWidth()).isEqualTo(820);
            assertThat(image.getHeight()).isEqualTo(320);
            count++;
        }
        assertThat(count).isEqualTo(3);
        assertThat(html).contains("<tr><td>NaN is not allowed</td><td>3</td><td class=\"text\">embedding[…], target[…]</td></tr>")
                .contains("<tr><td>acme/assistant/&lt;general&gt;</td><td>v2</td><td>v9</td></tr>")
                .contains("11 promoted").contains("summary &lt;text&gt;").doesNotContain("<text>");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertThat(json.get("ratio").isNull()).isTrue();
        assertThat(json.get("taskSwitchSeconds").asDouble()).isEqualTo(8.0);
        assertThat(json.get("points")).hasSize(21);
        assertThat(json.get("points").get(0).get("servedHitRate").isNull()).isTrue();
    }
}
