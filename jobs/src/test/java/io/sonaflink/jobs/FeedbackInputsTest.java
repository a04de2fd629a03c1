package io.sonaflink.jobs;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the trajectories and signals sources are paced (the run itself: {@code KafkaPipelineITCase}). */
class FeedbackInputsTest {

    @Test
    void unalignedByDefault() {
        assertThat(SonaJob.feedbackInputs(new Configuration()).getAlignmentParameters().isEnabled()).isFalse();
    }

    @Test
    void aDriftAlignsBothSourcesInOneGroup() {
        Configuration conf = new Configuration();
        conf.set(SonaOptions.KAFKA_ALIGNMENT_MAX_DRIFT, Duration.ofSeconds(3));
        conf.set(SonaOptions.KAFKA_ALIGNMENT_UPDATE_INTERVAL, Duration.ofMillis(50));
        WatermarkStrategy<?> strategy = SonaJob.feedbackInputs(conf);
        assertThat(strategy.getAlignmentParameters().isEnabled()).isTrue();
        assertThat(strategy.getAlignmentParameters().getWatermarkGroup()).isEqualTo(SonaJob.FEEDBACK_ALIGNMENT_GROUP);
        assertThat(strategy.getAlignmentParameters().getMaxAllowedWatermarkDrift()).isEqualTo(3_000);
        assertThat(strategy.getAlignmentParameters().getUpdateInterval()).isEqualTo(50);
    }

    @Test
    void aBoundedReadRefusesAlignmentWithTheReason() {
        Configuration conf = new Configuration();
        conf.set(SonaOptions.KAFKA_ALIGNMENT_MAX_DRIFT, Duration.ofSeconds(2));
        conf.set(SonaOptions.KAFKA_BOUNDED, true);
        assertThatThrownBy(() -> SonaJob.feedbackInputs(conf)).isInstanceOf(IllegalConfigurationException.class)
                .hasMessageContaining("sona.kafka.bounded").hasMessageContaining("FLINK-39728");
    }
}
