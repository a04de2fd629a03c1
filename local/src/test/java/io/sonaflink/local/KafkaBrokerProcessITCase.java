package io.sonaflink.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The local run's broker is a real Kafka process: transactions work, and it is gone once closed. */
class KafkaBrokerProcessITCase {

    @Test
    void startsTransactsAndStops(@TempDir Path data) throws Exception {
        String bootstrap;
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(data, 0)) {
            bootstrap = broker.bootstrapServers();
            assertThat(bootstrap).startsWith("127.0.0.1:");
            Properties p = new Properties();
            p.setProperty("bootstrap.servers", bootstrap);
            try (Admin admin = Admin.create(p)) {
                admin.createTopics(List.of(new NewTopic("t", 2, (short) 1))).all().get();
            }

            Properties producer = new Properties();
            producer.putAll(p);
            producer.setProperty("transactional.id", "it");
            try (KafkaProducer<String, String> out =
                    new KafkaProducer<>(producer, new StringSerializer(), new StringSerializer())) {
                out.initTransactions();
                out.beginTransaction();
                out.send(new ProducerRecord<>("t", "k", "aborted"));
                out.abortTransaction();
                out.beginTransaction();
                out.send(new ProducerRecord<>("t", "k", "committed"));
                out.commitTransaction();
            }

            Properties consumer = new Properties();
            consumer.putAll(p);
            consumer.setProperty("isolation.level", "read_committed");
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> in =
                    new KafkaConsumer<>(consumer, new StringDeserializer(), new StringDeserializer())) {
                List<TopicPartition> partitions = List.of(new TopicPartition("t", 0), new TopicPartition("t", 1));
                in.assign(partitions);
                in.seekToBeginning(partitions);
                long deadline = System.currentTimeMillis() + 30_000;
                while (values.isEmpty() && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<String, String> r : in.poll(Duration.ofMillis(200))) {
                        values.add(r.value());
                    }
                }
            }
            assertThat(values).containsExactly("committed");
            assertThat(Files.readString(data.resolve("server.properties")))
                    .contains("listeners=PLAINTEXT://127.0.0.1:").doesNotContain("0.0.0.0");
        }
        int port = Integer.parseInt(bootstrap.substring(bootstrap.indexOf(':') + 1));
        assertThat(KafkaBrokerProcess.freePort(port)).as("the port is free again").isEqualTo(port);
    }
}
