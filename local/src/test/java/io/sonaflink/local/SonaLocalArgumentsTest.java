package io.sonaflink.local;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SonaLocalArgumentsTest {

    @Test
    void optionsAndSettingsAreRead() {
        SonaLocal.Arguments a = SonaLocal.Arguments.parse(new String[] {
            "--keys", "2", "--events", "4000", "--check", "--set", "sona.embedding.dimension=32",
            "--set", "restart-strategy.type=none"});
        assertThat(a.keys).isEqualTo(2);
        assertThat(a.events).isEqualTo(4000);
        assertThat(a.check).isTrue();
        assertThat(a.settings.settings()).containsEntry("sona.embedding.dimension", "32").containsEntry("restart-strategy.type",
                "none");
    }

    @Test
    void usageErrorsSayWhatIsWrong() {
        assertThatThrownBy(() -> SonaLocal.Arguments.parse(new String[] {"--keys", "x"}))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("'x' is not an int");
        assertThatThrownBy(() -> SonaLocal.Arguments.parse(new String[] {"--set", "sona.embeding.dimension=8"}))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasRootCauseMessage("unknown setting sona.embeding.dimension; did you mean sona.embedding.dimension?");
        assertThat(new CommandLine(new SonaLocal.Arguments()).execute("--help")).isZero();
    }
}
