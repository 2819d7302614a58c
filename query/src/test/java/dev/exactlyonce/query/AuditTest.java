package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.InvoiceAudit;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit's verdict in prepared situations: records written to Kafka as the producer would, rows
 * written as the consumer would, and the group's offsets committed as after processing.
 */
@MicronautTest(transactional = false)
class AuditTest extends QueryTestSupport {

    private static final AuditedGroups GROUPS = AuditedGroups.named("audit-test");

    @Override
    Map<String, String> extraProperties() {
        // no producer to ask either: the audit must say that the producer's count is unavailable
        return GROUPS.properties();
    }

    @BeforeEach
    void newWindow() throws Exception {
        // billing has not run until a test says so
        try {
            admin().deleteConsumerGroups(List.of(GROUPS.billing())).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw e;
            }
        }
        windowStart = freshWindow();
    }

    private ResetResponse windowStart;

    @Test
    void cleanWindowIsExactlyOnce() throws Exception {
        List<String> ids = ids("clean", 6);
        produce(ids);
        storeOrders(ids);
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
        assertThat(audit.getInFlightRecords()).isZero();
        assertThat(audit.getDeadLettered()).isZero();
        assertThat(audit.getKeyConflicts()).isZero();
        assertThat(audit.getRetentionSkipped()).isZero();
        assertThat(audit.getAcknowledgedSource()).startsWith("unavailable");
        assertThat(audit.hasWindowStart()).isTrue();
        assertThat(audit.getOutOfKafkaOrder()).isZero();
        assertThat(audit.getInvoices().getVerdict())
                .isEqualTo("NO_BILLING (group " + GROUPS.billing() + " has committed no offsets)");

        // the caller saw 8 acknowledgements: 2 orders never reached Kafka (at-most-once producer)
        AuditResponse withAcks =
                audit(AuditRequest.newBuilder().setWaitSeconds(5).setAcknowledged(8).build());
        assertThat(withAcks.getAcknowledgedSource()).isEqualTo("request");
        assertThat(withAcks.getVerdict()).isEqualTo("AT_MOST_ONCE (2 lost)");
    }

    @Test
    void replayedRowsAreDuplicates() throws Exception {
        List<String> ids = ids("dup", 6);
        produce(ids);
        storeOrders(ids);
        storeOrders(ids.subList(0, 2)); // a batch replayed after a crash before the offset commit
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
        storeOrders(ids.subList(0, 4));
        // the consumer gave up on one record and dead-lettered it beside the rows: not lost, but
        // named
        insertDeadLetter(ids.get(4), 0, 4);
        consumerCaughtUp();

        AuditResponse audit = audit(AuditRequest.newBuilder().setWaitSeconds(5).build());

        assertThat(audit.getVerdict())
                .isEqualTo("AT_MOST_ONCE (2 lost), NOT_STORED (1 dead-lettered)");
        assertThat(audit.getCommittedInKafka()).isEqualTo(7);
        assertThat(audit.getStoredDistinct()).isEqualTo(4);
        assertThat(audit.getDeadLettered()).isEqualTo(1);
        assertThat(audit.getLost()).isEqualTo(2);
    }

    @Test
    void aDeadLetteredOrderIsNamedAndTheWindowIsNotExactlyOnce() throws Exception {
        List<String> ids = ids("dead", 4);
        produce(ids);
        storeOrders(ids.subList(0, 3));
        // dead-lettered once, and again when its batch was replayed at another position: one order
        insertDeadLetter(ids.get(3), 1, 10);
        insertDeadLetter(ids.get(3), 1, 11);
        consumerCaughtUp();

        AuditResponse audit =
                audit(AuditRequest.newBuilder().setWaitSeconds(5).setAcknowledged(4).build());

        assertThat(audit.getVerdict()).isEqualTo("STORED_ONCE_EXCEPT (1 dead-lettered)");
        assertThat(audit.getDeadLettered()).isEqualTo(1);
        assertThat(audit.getDeadLetterRecords()).isEqualTo(2);
        assertThat(audit.getLost()).isZero();
        assertThat(audit.getDrained()).isTrue();

        // a record so broken that it has no message id is named too (each such dead letter is one
        // order)
        insertDeadLetter(null, 2, 12);
        AuditResponse unreadable =
                audit(AuditRequest.newBuilder().setWaitSeconds(5).setAcknowledged(4).build());
        assertThat(unreadable.getVerdict()).isEqualTo("STORED_ONCE_EXCEPT (2 dead-lettered)");
    }

    @Test
    void ordersTheConsumerHasNotReachedAreInFlightAndTheWindowNotDrained() throws Exception {
        List<String> ids = ids("undrained", 4);
        produce(ids);
        // the consumer is still at the window start: none of the window's orders read yet
        commitGroupOffsets(GROUPS.consumer(), ordersStart(windowStart));

        AuditResponse audit =
                audit(AuditRequest.newBuilder().setWaitSeconds(0).setAcknowledged(4).build());

        assertThat(audit.getVerdict()).isEqualTo("NOT_DRAINED (4 in flight)");
        assertThat(audit.getDrained()).isFalse();
        assertThat(audit.getInFlight()).isEqualTo(4);
        assertThat(audit.getInFlightRecords()).isEqualTo(4);
        assertThat(audit.getLost()).isZero();
    }

    @Test
    void aRetentionGapIsNamedNeverSkippedSilently() throws Exception {
        List<String> ids = ids("gap", 3);
        produce(ids);
        storeOrders(ids);
        consumerCaughtUp();
        // the consumer found its next offset below the log start: [100, 105) deleted unread
        insertRetentionGap(GROUPS.consumer(), 1, 100, 105);
        insertRetentionGap("another-group", 1, 0, 1000);

        AuditResponse audit =
                audit(AuditRequest.newBuilder().setWaitSeconds(5).setAcknowledged(8).build());

        assertThat(audit.getRetentionSkipped()).isEqualTo(5);
        assertThat(audit.getLost()).as("skipped by retention is named, not lost").isZero();
        assertThat(audit.getVerdict()).isEqualTo("STORED_ONCE_EXCEPT (5 skipped by retention)");

        query().reset(ResetRequest.getDefaultInstance());
        assertThat(audit(AuditRequest.newBuilder().setWaitSeconds(0).build()).getRetentionSkipped())
                .as("Reset empties the gaps with the orders")
                .isZero();
    }

    @Test
    void recordsBeyondTheConsumerPositionAreInFlightNotLost() throws Exception {
        List<String> ids = ids("flight", 6);
        produce(ids);
        Map<TopicPartition, Long> ends = endOffsets(Topics.ORDERS);
        // the consumer has not reached the newest record of each partition that holds one of ours
        Map<TopicPartition, Long> positions = new HashMap<>(ends);
        positions.put(
                new TopicPartition(Topics.ORDERS, 0),
                ends.get(new TopicPartition(Topics.ORDERS, 0)) - 1);
        commitGroupOffsets(GROUPS.consumer(), positions);
        storeOrders(
                ids); // everything except what is in flight may be stored; storing all is fine too

        AuditResponse audit = audit(AuditRequest.newBuilder().setWaitSeconds(0).build());

        assertThat(audit.getDrained()).isFalse();
        // every order of ours is stored: what is left is a record, not an order
        assertThat(audit.getInFlightRecords()).isEqualTo(1);
        assertThat(audit.getInFlight()).isZero();
        assertThat(audit.getLost()).isZero();
        assertThat(audit.getVerdict()).isEqualTo("NOT_DRAINED (1 record behind)");
    }

    @Test
    void invoiceLegCountsDuplicatedLostAndDeadLetteredInvoices() throws Exception {
        List<String> ids = ids("bill", 6);
        produce(ids);
        storeOrders(ids);
        consumerCaughtUp();
        // billing: orders 0..3 invoiced, order 0 twice (a replayed batch), order 4 dead-lettered,
        // order 5 nothing
        invoice(
                Topics.INVOICES,
                List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(3), ids.get(0)));
        invoice(Topics.BILLING_DLQ, List.of(ids.get(4)));
        // an invoice of an order from before the window does not count
        invoice(Topics.INVOICES, List.of("from-an-earlier-window"));
        caughtUp(GROUPS.billing());

        InvoiceAudit invoices =
                audit(AuditRequest.newBuilder().setWaitSeconds(5).build()).getInvoices();

        assertThat(invoices.getGroupId()).isEqualTo(GROUPS.billing());
        assertThat(invoices.getInvoicesTotal()).isEqualTo(5);
        assertThat(invoices.getInvoicesDistinct()).isEqualTo(4);
        assertThat(invoices.getDuplicated()).isEqualTo(1);
        assertThat(invoices.getDeadLettered()).isEqualTo(1);
        assertThat(invoices.getDeadLetterRecords()).isEqualTo(1);
        assertThat(invoices.getLost()).isEqualTo(1);
        assertThat(invoices.getDrained()).isTrue();
        assertThat(invoices.getVerdict())
                .isEqualTo(
                        "AT_LEAST_ONCE (1 duplicated), AT_MOST_ONCE (1 lost), NOT_STORED (1 dead-lettered)");
    }

    @Test
    void ordersBillingHasNotReachedAreInFlightForTheInvoiceLeg() throws Exception {
        List<String> ids = ids("billflight", 3);
        produce(ids);
        storeOrders(ids);
        consumerCaughtUp();
        Map<TopicPartition, Long> positions = new HashMap<>(endOffsets(Topics.ORDERS));
        TopicPartition behind =
                positions.keySet().stream()
                        .filter(tp -> positions.get(tp) > 0)
                        .findFirst()
                        .orElseThrow();
        positions.put(behind, positions.get(behind) - 1);
        commitGroupOffsets(GROUPS.billing(), positions);
        invoice(Topics.INVOICES, ids);

        InvoiceAudit invoices =
                audit(AuditRequest.newBuilder().setWaitSeconds(0).build()).getInvoices();

        assertThat(invoices.getDrained()).isFalse();
        assertThat(invoices.getInFlightRecords()).isEqualTo(1);
        assertThat(invoices.getLost()).isZero();
        assertThat(invoices.getVerdict()).startsWith("NOT_DRAINED (");
    }

    /** Records as billing writes them: keyed by order id, the order's message id in the header. */
    private void invoice(String topic, List<String> messageIds) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.putAll(producerProperties());
        try (var producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (String id : messageIds) {
                ProducerRecord<String, byte[]> record =
                        new ProducerRecord<>(
                                topic,
                                "order-" + id,
                                Invoice.newBuilder()
                                        .setInvoiceId("inv-" + id)
                                        .setOrderId("order-" + id)
                                        .setMessageId(id)
                                        .build()
                                        .toByteArray());
                record.headers().add(Topics.HEADER_MESSAGE_ID, id.getBytes(StandardCharsets.UTF_8));
                producer.send(record).get();
            }
        }
    }

    private AuditResponse audit(AuditRequest request) {
        return query().audit(request);
    }

    private static List<String> ids(String prefix, int count) {
        return new ArrayList<>(
                IntStream.range(0, count)
                        .mapToObj(i -> prefix + "-" + System.nanoTime() + "-" + i)
                        .toList());
    }

    @Test
    void aPartitionsRowsStoredAfterANewerOffsetAreOutOfKafkaOrder() throws Exception {
        // partition 0 stored as offsets 0, 1, 2, then 1 again (a replay); partition 1 in order
        insertRows(
                List.of(
                        new Row("o-0", "m-0", "c", 0, 0),
                        new Row("o-1", "m-1", "c", 0, 1),
                        new Row("o-a", "m-a", "c", 1, 0),
                        new Row("o-2", "m-2", "c", 0, 2),
                        new Row("o-b", "m-b", "c", 1, 1),
                        new Row("o-1", "m-1", "c", 0, 1)));

        AuditResponse audit = audit(AuditRequest.newBuilder().setWaitSeconds(0).build());

        assertThat(audit.getOutOfKafkaOrder()).isEqualTo(1);
    }

    private void consumerCaughtUp() throws Exception {
        caughtUp(GROUPS.consumer());
    }
}
