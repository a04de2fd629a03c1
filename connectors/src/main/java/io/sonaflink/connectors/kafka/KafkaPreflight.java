package io.sonaflink.connectors.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks, before a job is submitted, what no restart can heal: that the brokers answer, accept the
 * credentials, and hold every topic the job reads and writes. Without it such a job restarts
 * forever and the cause is only in a TaskManager's log.
 */
public final class KafkaPreflight {

    private KafkaPreflight() {}

    private static IllegalStateException unreachable(String bootstrapServers, Duration timeout, Throwable cause) {
        return new IllegalStateException("no Kafka broker at " + bootstrapServers + " answered within " + timeout
                + " (check sona.kafka.bootstrap-servers and the network)", cause);
    }

    /**
     * @throws IllegalStateException naming the cause: no broker answered within {@code timeout},
     *     authentication or authorization failed, or topics are missing (listed)
     */
    public static void check(String bootstrapServers, Properties client, Collection<String> topics, Duration timeout) {
        Properties p = new Properties();
        p.putAll(client);
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<String> missing = new ArrayList<>();
            var described = admin.describeTopics(topics).topicNameValues();
            for (String topic : topics) {
                try {
                    described.get(topic).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                    missing.add(topic);
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalStateException("Kafka at " + bootstrapServers + " has no topic " + missing
                        + ": create them (the job does not), or point sona.kafka.topic.* at existing ones");
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthenticationException) {
                throw new IllegalStateException("Kafka at " + bootstrapServers + " refused the job's credentials ("
                        + cause.getMessage() + "): check sona.kafka.properties.sasl.* / security.protocol", cause);
            }
            if (cause instanceof AuthorizationException) {
                throw new IllegalStateException("Kafka at " + bootstrapServers + " does not allow the job's principal "
                        + "what it needs (" + cause.getMessage() + "): grant describe, read, write and "
                        + "transactional-id access", cause);
            }
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable(bootstrapServers, timeout, cause); // the client's own timeout came first
            }
            throw new IllegalStateException("Kafka at " + bootstrapServers + " failed the pre-flight check: " + cause,
                    cause);
        } catch (TimeoutException e) {
            throw unreachable(bootstrapServers, timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking Kafka at " + bootstrapServers, e);
        }
    }
}
