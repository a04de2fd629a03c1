package io.sonaflink.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** How far the job's consumer group has consumed the input topics (committed on checkpoints). */
record InputProgress(Admin admin, String group, List<String> topics) {

    record Offsets(long consumed, long lag) {}

    Offsets read() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (var d : admin.describeTopics(topics).allTopicNames().get().values()) {
            d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest()));
        }
        long consumed = 0;
        long lag = 0;
        for (var e : admin.listOffsets(latest).all().get().entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            long position = c == null ? 0 : c.offset();
            consumed += position;
            lag += Math.max(0, e.getValue().offset() - position);
        }
        return new Offsets(consumed, lag);
    }
}
