package io.sonaflink.jobs;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandLineSettingsTest {

    @Test
    void knownKeysAndFlinkSettingsPass() {
        Map<String, String> settings = new LinkedHashMap<>();
        CommandLineSettings.add(settings, "sona.embedding.dimension=8");
        CommandLineSettings.add(settings, "sona.kafka.properties.security.protocol=SASL_SSL");
        CommandLineSettings.add(settings, "restart-strategy.type=none");
        assertThat(settings).containsEntry("sona.embedding.dimension", "8")
                .containsEntry("sona.kafka.properties.security.protocol", "SASL_SSL")
                .containsEntry("restart-strategy.type", "none");
    }

    /** A misspelt key would be ignored silently: it fails, naming the key meant. */
    @Test
    void aMisspeltSonaKeyFailsWithTheNearestKnownOne() {
        assertThatThrownBy(() -> CommandLineSettings.add(new LinkedHashMap<>(), "sona.embeding.dimension=8"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown setting sona.embeding.dimension; did you mean sona.embedding.dimension?");
        assertThatThrownBy(() -> CommandLineSettings.add(new LinkedHashMap<>(), "sona.nothing.like.this.at.all=1"))
                .hasMessageContaining("the README lists every sona.* setting");
        assertThatThrownBy(() -> CommandLineSettings.add(new LinkedHashMap<>(), "=1")).hasMessageContaining("key=value");
    }

    /** The job's main reads the same keys: its help lists them, and a misspelt one is refused. */
    @Test
    void theJobsHelpListsEveryOptionAndItsMainRefusesUnknownKeys() {
        String help = SonaJob.help();
        for (var option : SonaOptions.all()) {
            assertThat(help).contains("--" + option.key() + " (default: ");
        }
        assertThatThrownBy(() -> SonaJob.main(new String[] {"--sona.kafka.bootstrap-server", "kafka:9092"}))
                .hasMessage("unknown setting sona.kafka.bootstrap-server; did you mean sona.kafka.bootstrap-servers?");
    }
}
