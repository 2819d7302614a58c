package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit's verdict in prepared situations: records written to Kafka as the producer would, rows
 * written as the consumer would, and the group's offsets committed as after processing.
 */
@MicronautTest(transactional = false)
class AuditTest extends QueryTestSupport {

    private static final String GROUP = "audit-test-group";

    @Override
    Map<String, String> extraProperties() {
        // nothing listens there: the audit must say that the producer's count is unavailable
        return Map.of("app.query.consumer-group-id", GROUP, "app.query.producer-address", "127.0.0.1:1");
    }

    @BeforeEach
    void newWindow() throws Exception {
        emptyDatabase();
        query().reset(ResetRequest.getDefaultInstance());
    }

    @Test
    void cleanWindowIsExactlyOnce() throws Exception {
        List<String> ids = ids("clean", 6);
        produce(ids);
        store(ids);
        consumerCaughtUp();

        AuditResponse audit = audit(AuditRequest.newBuilder().setWaitSeconds(5).build());

        assertThat(audit.getVerdict()).isEqualTo("EXACTLY_ONCE");
        assertThat(audit.getCommittedInKafka()).isEqualTo(6);
        assertThat(audit.getStoredRows()).isEqualTo(6);
        assertThat(audit.getStoredDistinct()).isEqualTo(6);
        assertThat(audit.getLost()).isZero();
        assertThat(audit.getDuplicated()).isZero();
        assertThat(audit.getDrained()).isTrue();
        assertThat(audit.getInFlight()).isZero();
        assertThat(audit.getAcknowledgedSource()).startsWith("unavailable");
        assertThat(audit.hasWindowStart()).isTrue();
        assertThat(audit.getOutOfKafkaOrder()).isZero();

        // the caller saw 8 acknowledgements: 2 orders never reached Kafka (at-most-once producer)
        AuditResponse withAcks = audit(AuditRequest.newBuilder().setWaitSeconds(5).setAcknowledged(8).build());
        assertThat(withAcks.getAcknowledgedSource()).isEqualTo("request");
        assertThat(withAcks.getVerdict()).isEqualTo("AT_MOST_ONCE (2 lost)");
    }

    @Test
    void replayedRowsAreDuplicates() throws Exception {
        List<String> ids = ids("dup", 6);
        produce(ids);
        store(ids);
        store(ids.subList(0, 2)); // a batch replayed after a crash before the offset commit
        consumerCaughtUp();

        AuditResponse audit = audit(AuditRequest.newBuilder().setWaitSeconds(5).build());

        assertThat(audit.getVerdict()).isEqualTo("AT_LEAST_ONCE (2 duplicated)");
        assertThat(audit.getStoredRows()).isEqualTo(8);
        assertThat(audit.getStoredDistinct()).isEqualTo(6);
        assertThat(audit.getDuplicated()).isEqualTo(2);
        assertThat(audit.getLost()).isZero();
    }

    @Test
    void committedButNeverStoredIsLostUnlessDeadLettered() throws Exception {
        List<String> ids = ids("loss", 7);
        produce(ids);
        store(ids.subList(0, 4));
        // the consumer gave up on one record and sent it to the dead-letter topic: not lost
        try (var producer = orderProducer(producerProperties())) {
            producer.send(orderRecord(Topics.DLQ, "order-" + ids.get(4), ids.get(4))).get();
        }
        consumerCaughtUp();

        AuditResponse audit = audit(AuditRequest.newBuilder().setWaitSeconds(5).build());

        assertThat(audit.getVerdict()).isEqualTo("AT_MOST_ONCE (2 lost)");
        assertThat(audit.getCommittedInKafka()).isEqualTo(7);
        assertThat(audit.getStoredDistinct()).isEqualTo(4);
        assertThat(audit.getDeadLettered()).isEqualTo(1);
        assertThat(audit.getLost()).isEqualTo(2);
    }

    @Test
    void recordsBeyondTheConsumerPositionAreInFlightNotLost() throws Exception {
        List<String> ids = ids("flight", 6);
        produce(ids);
        Map<TopicPartition, Long> ends = endOffsets(Topics.ORDERS);
        // the consumer has not reached the newest record of each partition that holds one of ours
        Map<TopicPartition, Long> positions = new HashMap<>(ends);
        positions.put(new TopicPartition(Topics.ORDERS, 0), ends.get(new TopicPartition(Topics.ORDERS, 0)) - 1);
        commitGroupOffsets(GROUP, positions);
        store(ids); // everything except what is in flight may be stored; storing all is fine too

        AuditResponse audit = audit(AuditRequest.newBuilder().setWaitSeconds(0).build());

        assertThat(audit.getDrained()).isFalse();
        assertThat(audit.getInFlight()).isEqualTo(1);
        assertThat(audit.getLost()).isZero();
    }

    private AuditResponse audit(AuditRequest request) {
        return query().audit(request);
    }

    private static List<String> ids(String prefix, int count) {
        return new ArrayList<>(IntStream.range(0, count).mapToObj(i -> prefix + "-" + System.nanoTime() + "-" + i).toList());
    }

    @Test
    void aPartitionsRowsStoredAfterANewerOffsetAreOutOfKafkaOrder() throws Exception {
        // partition 0 stored as offsets 0, 1, 2, then 1 again (a replay); partition 1 in order
        insertRows(List.of(new Row("o-0", "m-0", "c", 0, 0), new Row("o-1", "m-1", "c", 0, 1),
                new Row("o-a", "m-a", "c", 1, 0), new Row("o-2", "m-2", "c", 0, 2), new Row("o-b", "m-b", "c", 1, 1),
                new Row("o-1", "m-1", "c", 0, 1)));

        AuditResponse audit = audit(AuditRequest.newBuilder().setWaitSeconds(0).build());

        assertThat(audit.getOutOfKafkaOrder()).isEqualTo(1);
    }

    private static void store(List<String> messageIds) throws Exception {
        insertRows(messageIds.stream().map(id -> Row.of("order-" + id, id, "cust-1")).toList());
    }

    private void consumerCaughtUp() throws Exception {
        commitGroupOffsets(GROUP, endOffsets(Topics.ORDERS));
    }
}
