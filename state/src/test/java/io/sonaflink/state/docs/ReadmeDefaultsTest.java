package io.sonaflink.state.docs;

import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bank.ReasoningBankConfig;
import io.sonaflink.state.cluster.KMeansConfig;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.lora.BaseLoraConfig;
import io.sonaflink.state.lora.MicroLoraConfig;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's configuration table lists every default of the settings records, with its value. */
class ReadmeDefaultsTest {

    private static final List<Record> DEFAULTS = List.of(
            MicroLoraConfig.DEFAULT,
            BaseLoraConfig.DEFAULT,
            EwcConfig.DEFAULT,
            KMeansConfig.DEFAULT,
            ReasoningBankConfig.DEFAULT,
            BackgroundConfig.DEFAULT,
            RouteAdvisor.DEFAULT);

    private static final Pattern ROW = Pattern.compile("^\\| `(\\w+)\\.(\\w+)` \\| ([^|]+) \\|", Pattern.MULTILINE);

    @Test
    void tableMatchesTheDefaultsInCode() throws Exception {
        Map<String, String> table = readTable();
        Map<String, Object> code = new LinkedHashMap<>();
        for (Record defaults : DEFAULTS) {
            for (RecordComponent c : defaults.getClass().getRecordComponents()) {
                if (c.getType().isRecord()) {
                    continue; // nested settings are listed under their own record
                }
                code.put(defaults.getClass().getSimpleName() + "." + c.getName(), c.getAccessor().invoke(defaults));
            }
        }
        assertThat(table.keySet()).containsExactlyInAnyOrderElementsOf(code.keySet());
        for (Map.Entry<String, Object> e : code.entrySet()) {
            String documented = table.get(e.getKey());
            Object value = e.getValue();
            if (value instanceof Float f) {
                assertThat(Float.parseFloat(documented)).as(e.getKey()).isEqualTo(f);
            } else if (value instanceof Double d) {
                assertThat(Double.parseDouble(documented)).as(e.getKey()).isEqualTo(d);
            } else {
                assertThat(documented).as(e.getKey()).isEqualTo(String.valueOf(value));
            }
        }
    }

    private static Map<String, String> readTable() throws IOException {
        Path readme = Path.of("..", "README.md");
        if (!Files.exists(readme)) {
            readme = Path.of("README.md"); // run from the repository root
        }
        Matcher m = ROW.matcher(Files.readString(readme));
        Map<String, String> rows = new LinkedHashMap<>();
        while (m.find()) {
            rows.put(m.group(1) + "." + m.group(2), m.group(3).trim());
        }
        return rows;
    }
}
