package io.sonaflink.jobs;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The responses sink sends each response at once unless told otherwise (Kafka's own default lingers 5 ms). */
class ResponsesProducerTest {

    @Test
    void responsesDoNotLingerByDefaultAndKeepTheJobsClientSettings() {
        Properties client = new Properties();
        client.setProperty("security.protocol", "SASL_SSL");
        client.setProperty("linger.ms", "20");
        Properties producer = SonaJob.responsesProducer(client, new Configuration());
        assertThat(producer.getProperty("linger.ms")).isEqualTo("0");
        assertThat(producer.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(client.getProperty("linger.ms")).isEqualTo("20"); // the other sinks keep theirs
    }

    @Test
    void aConfiguredLingerIsUsed() {
        Configuration conf = new Configuration();
        conf.set(SonaOptions.RESPONSES_LINGER, Duration.ofMillis(3));
        assertThat(SonaJob.responsesProducer(new Properties(), conf).getProperty("linger.ms")).isEqualTo("3");
    }
}
