package io.sonaflink.jobs;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's configuration table is exactly the options class: every key, default and description. */
class ReadmeConfigurationTableTest {

    private static final String START = "<!-- options:start -->";
    private static final String END = "<!-- options:end -->";

    @Test
    void readmeTableMatchesSonaOptions() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf(START);
        int end = readme.indexOf(END);
        assertThat(start).as("README lacks %s", START).isNotNegative();
        String documented = readme.substring(start + START.length(), end).strip();
        assertThat(documented).as("regenerate the README table from SonaOptions").isEqualTo(expectedTable());
    }

    static String expectedTable() {
        StringBuilder s = new StringBuilder("| Key | Default | Description |\n|---|---|---|\n");
        for (ConfigOption<?> o : SonaOptions.all()) {
            s.append("| `").append(o.key()).append("` | ").append(format(o.defaultValue())).append(" | ")
                    .append(new HtmlFormatter().format(o.description())).append(" |\n");
        }
        return s.toString().strip();
    }

    private static String format(Object value) {
        if (value instanceof Enum<?> e) {
            return e.toString(); // what the configuration accepts: Flink matches an enum's toString, any case
        }
        if (value instanceof Duration d) {
            return d.toHours() > 0 && d.toMinutesPart() == 0 && d.toSecondsPart() == 0 ? d.toHours() + " h"
                    : d.toMinutes() > 0 && d.toSecondsPart() == 0 ? d.toMinutes() + " min"
                    : d.toMillisPart() != 0 ? d.toMillis() + " ms" : d.toSeconds() + " s";
        }
        return String.valueOf(value);
    }
}
