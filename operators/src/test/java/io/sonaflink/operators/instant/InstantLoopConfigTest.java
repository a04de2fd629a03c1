package io.sonaflink.operators.instant;

import io.sonaflink.state.lora.MicroLoraConfig;

import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InstantLoopConfigTest {

    @Test
    void defaultsFollowTheSeed() {
        InstantLoopConfig config = InstantLoopConfig.DEFAULT;
        assertThat(config.dim()).isEqualTo(256);
        assertThat(config.micro()).isEqualTo(MicroLoraConfig.DEFAULT);
        assertThat(config.publishEveryUpdates()).isEqualTo(100);
        assertThat(config.publishIntervalMs()).isEqualTo(10_000L);
        assertThat(config.publishesOnInterval()).isTrue();
    }

    @Test
    void rejectsInvalidSettings() {
        MicroLoraConfig micro = MicroLoraConfig.DEFAULT;
        assertThatThrownBy(() -> new InstantLoopConfig(0, micro, 100, 0L, 1L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new InstantLoopConfig(1, micro, 100, 0L, 1L))
                .hasMessageContaining("rank");
        assertThatThrownBy(() -> new InstantLoopConfig(16, micro, 0, 0L, 1L))
                .hasMessageContaining("publishEveryUpdates");
        assertThatThrownBy(() -> new InstantLoopConfig(16, micro, 100, -1L, 1L))
                .hasMessageContaining("publishIntervalMs");
        assertThatThrownBy(() -> new InstantLoopConfig(16, null, 100, 0L, 1L))
                .isInstanceOf(NullPointerException.class);
        assertThat(new InstantLoopConfig(16, micro, 100, 0L, 1L).publishesOnInterval()).isFalse();
    }

    /** The gate that runs the loop ships to the task managers by Java serialization, config included. */
    @Test
    void configSurvivesJavaSerialization() throws Exception {
        InstantLoopConfig config = new InstantLoopConfig(32, new MicroLoraConfig(1, 3f, 0.05f, 4), 9, 1_234L, -5L);
        assertThat(InstantiationUtil.clone(config)).isEqualTo(config);
    }
}
