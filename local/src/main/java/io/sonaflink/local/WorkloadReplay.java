package io.sonaflink.local;

import io.sonaflink.jobs.workload.Workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Produces a workload into the input topics at a steady rate, as a serving fleet would: each
 * trajectory is followed by the signals generated with it, spread evenly over the stream, and
 * every {@link #QUERY_EVERY}th trajectory by a query: one of the held-out probes, cycling through
 * keys and probes, whose id {@link #probeOf} maps back to the probe.
 */
final class WorkloadReplay implements Runnable {

    static final int QUERY_EVERY = 10;
    private static final long QUERY_INTERVAL_NANOS = 50_000_000L;
    private static final String QUERY_ID_PREFIX = "probe:";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Workload workload;
    private final Properties client;
    private final String trajectoryTopic;
    private final String signalTopic;
    private final String queryTopic;
    private final List<String> probeKeys;
    private final double eventsPerSecond;
    private final boolean queryUntilStopped;
    private final DeliveryCheck delivery = new DeliveryCheck();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong queriesSent = new AtomicLong();
    private final AtomicLong trajectoriesSent = new AtomicLong();
    private volatile boolean workloadSent;
    private volatile boolean stopped;
    private volatile boolean done;
    private volatile Exception failure;

    /**
     * @param queryTopic where probe queries go, or null for none
     * @param queryUntilStopped after the workload, keep sending a query every 50 ms until stopped
     * @param eventsPerSecond target rate of trajectories plus signals; 0 or less: as fast as possible
     */
    WorkloadReplay(Workload workload, Properties client, String trajectoryTopic, String signalTopic,
            String queryTopic, boolean queryUntilStopped, double eventsPerSecond) {
        this.queryUntilStopped = queryUntilStopped;
        this.workload = workload;
        this.client = client;
        this.trajectoryTopic = trajectoryTopic;
        this.signalTopic = signalTopic;
        this.queryTopic = queryTopic;
        this.probeKeys = new ArrayList<>(new TreeSet<>(workload.probes().keySet()));
        this.eventsPerSecond = eventsPerSecond;
    }

    @Override
    public void run() {
        List<byte[]> trajectories = workload.trajectories();
        List<byte[]> signals = workload.signals();
        long started = System.nanoTime();
        // Paced, the replay stands for clients that send as they go, and a query's latency counts
        // from its send: nothing lingers. At full speed, batches are what the run measures.
        try (KafkaProducer<byte[], byte[]> producer = WorkloadProducer.open(client, eventsPerSecond > 0 ? 0 : 20)) {
            int nextSignal = 0;
            for (int i = 0; i < trajectories.size() && !stopped; i++) {
                producer.send(new ProducerRecord<>(trajectoryTopic, trajectories.get(i)), delivery);
                sent.incrementAndGet();
                trajectoriesSent.incrementAndGet();
                int signalsDue = (int) ((long) (i + 1) * signals.size() / trajectories.size());
                for (; nextSignal < signalsDue; nextSignal++) {
                    producer.send(new ProducerRecord<>(signalTopic, signals.get(nextSignal)), delivery);
                    sent.incrementAndGet();
                }
                if (queryTopic != null && i % QUERY_EVERY == 0 && !probeKeys.isEmpty()) {
                    sendQuery(producer);
                }
                pace(started);
            }
            workloadSent = true;
            // The fleet keeps asking while the job catches up, so that serving shows what was learned.
            while (queryUntilStopped && queryTopic != null && !probeKeys.isEmpty() && !stopped) {
                sendQuery(producer);
                LockSupport.parkNanos(QUERY_INTERVAL_NANOS);
            }
            producer.flush();
            delivery.check(sent.get());
        } catch (Exception e) {
            failure = e;
        } finally {
            done = true;
        }
    }

    private void sendQuery(KafkaProducer<byte[], byte[]> producer) throws java.io.IOException {
        producer.send(new ProducerRecord<>(queryTopic, query((int) queriesSent.getAndIncrement())), delivery);
        sent.incrementAndGet();
    }

    /** The {@code n}th query: probe {@code n / keys} of key {@code n % keys}, modulo the probes. */
    private byte[] query(int n) throws java.io.IOException {
        String key = probeKeys.get(n % probeKeys.size());
        List<Workload.Probe> probes = workload.probes().get(key);
        int index = (n / probeKeys.size()) % probes.size();
        String[] parts = key.split("/", 3);
        ObjectNode q = JSON.createObjectNode();
        q.put("id", QUERY_ID_PREFIX + key + ":" + index + ":" + n);
        ObjectNode k = q.putObject("key");
        k.put("tenant", parts[0]);
        k.put("persona", parts[1]);
        k.put("domain", parts[2]);
        q.put("timestamp", System.currentTimeMillis());
        ArrayNode embedding = q.putArray("embedding");
        for (float v : probes.get(index).embedding()) {
            embedding.add(v);
        }
        return JSON.writeValueAsBytes(q);
    }

    /** The probe a query id names, or null for another id. */
    static Workload.Probe probeOf(String queryId, Map<String, List<Workload.Probe>> probes) {
        if (!queryId.startsWith(QUERY_ID_PREFIX)) {
            return null;
        }
        String[] parts = queryId.substring(QUERY_ID_PREFIX.length()).split(":");
        List<Workload.Probe> keyProbes = parts.length == 3 ? probes.get(parts[0]) : null;
        int index = keyProbes == null ? -1 : Integer.parseInt(parts[1]);
        return index >= 0 && index < keyProbes.size() ? keyProbes.get(index) : null;
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

    /** Trajectories sent so far, in the workload's order. */
    long trajectoriesSent() {
        return trajectoriesSent.get();
    }

    long queriesSent() {
        return queriesSent.get();
    }

    /** Every trajectory and signal was sent (queries may still follow). */
    boolean workloadSent() {
        return workloadSent;
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
