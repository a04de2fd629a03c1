package io.sonaflink.local;

import io.sonaflink.jobs.workload.Workload;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Produces a workload into the input topics at a steady rate, as a serving fleet would: each
 * trajectory is followed by the signals generated with it, spread evenly over the stream.
 */
final class WorkloadReplay implements Runnable {

    private final Workload workload;
    private final Properties client;
    private final String trajectoryTopic;
    private final String signalTopic;
    private final double eventsPerSecond;
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean stopped;
    private volatile boolean done;
    private volatile Exception failure;

    /** @param eventsPerSecond target rate of trajectories plus signals; 0 or less: as fast as possible */
    WorkloadReplay(Workload workload, Properties client, String trajectoryTopic, String signalTopic,
            double eventsPerSecond) {
        this.workload = workload;
        this.client = client;
        this.trajectoryTopic = trajectoryTopic;
        this.signalTopic = signalTopic;
        this.eventsPerSecond = eventsPerSecond;
    }

    @Override
    public void run() {
        Properties p = new Properties();
        p.putAll(client);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        List<byte[]> trajectories = workload.trajectories();
        List<byte[]> signals = workload.signals();
        long started = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            int nextSignal = 0;
            for (int i = 0; i < trajectories.size() && !stopped; i++) {
                producer.send(new ProducerRecord<>(trajectoryTopic, trajectories.get(i)));
                sent.incrementAndGet();
                int signalsDue = (int) ((long) (i + 1) * signals.size() / trajectories.size());
                for (; nextSignal < signalsDue; nextSignal++) {
                    producer.send(new ProducerRecord<>(signalTopic, signals.get(nextSignal)));
                    sent.incrementAndGet();
                }
                pace(started);
            }
            producer.flush();
        } catch (Exception e) {
            failure = e;
        } finally {
            done = true;
        }
    }

    private void pace(long started) {
        if (eventsPerSecond <= 0) {
            return;
        }
        long due = started + (long) (sent.get() / eventsPerSecond * 1e9);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    void stop() {
        stopped = true;
    }

    long sent() {
        return sent.get();
    }

    boolean done() {
        return done;
    }

    Exception failure() {
        return failure;
    }
}
