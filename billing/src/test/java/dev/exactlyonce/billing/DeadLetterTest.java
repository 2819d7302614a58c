package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.ApplicationContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Nothing is skipped: an undecodable order, orders that break the order contract and orders that
 * keep failing end up in billing.dlq, in exactly-once, and the orders after them are invoiced.
 */
class DeadLetterTest {

    @Test
    void poisonAndExhaustedOrdersAreDeadLetteredInTheTransaction() throws Exception {
        String group = BillingPipeline.unique("billing-dlq");
        String prefix = BillingPipeline.unique("dlq");
        BillingPipeline.startGroupAtEnd(group);
        try (ApplicationContext billing =
                BillingPipeline.startBilling(group, BillingPipeline.unique("billing-pod"))) {
            BillingPipeline.awaitAssigned(billing);
            SharedBillingConfig config = billing.getBean(SharedBillingConfig.class);
            config.update(
                    UpdateBillingConfigRequest.newBuilder()
                            .setProcessingMode(DeliveryMode.EXACTLY_ONCE)
                            .setCrashAfterMessages(0)
                            .setFailureRate(0)
                            .build());

            // a poison record: not an OrderEvent
            BillingPipeline.sendRecords(
                    List.of(
                            new ProducerRecord<>(
                                    Topics.ORDERS,
                                    prefix + "-poison",
                                    "not a protobuf \u0000\u00ff"
                                            .getBytes(StandardCharsets.ISO_8859_1))));
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix)
                                                    .size()
                                            == 1);
            ConsumerRecord<String, byte[]> poison =
                    BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix).get(0);
            assertThat(BillingPipeline.header(poison, DeadLetter.ERROR))
                    .startsWith("not an OrderEvent");
            assertThat(BillingPipeline.header(poison, DeadLetter.ORIGINAL_TOPIC))
                    .isEqualTo(Topics.ORDERS);

            // orders that break the order contract (written by something other than our producer):
            // each dead-lettered with the rule it breaks, and the orders after them invoiced
            BillingPipeline.send(
                    List.of(
                            BillingPipeline.order(prefix + "-nul", prefix + "-nul-m").toBuilder()
                                    .setCustomerId("c\u0000")
                                    .build(),
                            BillingPipeline.order(prefix + "-cents", prefix + "-cents-m")
                                    .toBuilder()
                                    .setTotalAmount(39.985)
                                    .build()));
            BillingPipeline.send(BillingPipeline.orders(prefix + "-good", 20));
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix)
                                                    .size()
                                            == 3);
            assertThat(
                            BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix).stream()
                                    .map(letter -> BillingPipeline.header(letter, DeadLetter.ERROR))
                                    .toList())
                    .contains(
                            "breaks the order contract: customer_id: must not contain control characters, got U+0000 at character 1",
                            "breaks the order contract: total_amount: at most 2 decimals (whole cents), got 39.985");
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    BillingPipeline.invoiced(prefix + "-good")
                                            .equals(new BillingPipeline.Invoiced(20, 20)));

            // every attempt fails: after max_attempts each order is dead-lettered, none invoiced,
            // none skipped
            config.update(
                    UpdateBillingConfigRequest.newBuilder()
                            .setFailureRate(1)
                            .setMaxAttempts(3)
                            .build());
            BillingPipeline.send(BillingPipeline.orders(prefix + "-fail", 30));
            BillingPipeline.awaitCaughtUp(group);
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    BillingPipeline.committedRecords(
                                                            Topics.BILLING_DLQ, prefix + "-fail")
                                                    .size()
                                            == 30);
            assertThat(BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix + "-fail"))
                    .allSatisfy(
                            letter ->
                                    assertThat(BillingPipeline.header(letter, DeadLetter.ATTEMPTS))
                                            .isEqualTo("3"));
            assertThat(BillingPipeline.invoiced(prefix + "-fail"))
                    .isEqualTo(new BillingPipeline.Invoiced(0, 0));
            config.update(UpdateBillingConfigRequest.newBuilder().setFailureRate(0).build());
        }
    }

    /**
     * An order record as large as the broker takes (written by something other than our producer)
     * cannot be copied whole into billing.dlq: with the dead letter's headers it would be larger
     * than the producer or the broker accepts, its send would fail at every retry, and billing
     * would stop there (it did: the transaction aborted and the batch was read again, over and
     * over, until the test gave up after 60 s; an 11 MB test log). It is dead-lettered cut, saying
     * so, under its message id, and the orders after it are invoiced.
     */
    @ParameterizedTest
    @EnumSource(
            value = DeliveryMode.class,
            names = {"AT_LEAST_ONCE", "EXACTLY_ONCE"})
    void anOrderTooLargeToCopyWholeIsDeadLetteredCutAndTheRestInvoiced(DeliveryMode mode)
            throws Exception {
        String group = BillingPipeline.unique("billing-dlq-large");
        String prefix = BillingPipeline.unique("large");
        BillingPipeline.startGroupAtEnd(group);
        try (ApplicationContext billing =
                BillingPipeline.startBilling(group, BillingPipeline.unique("billing-pod"))) {
            BillingPipeline.awaitAssigned(billing);
            BillingPipeline.use(billing, mode);
            // as large as the test's producer sends (max.request.size 1 MiB)
            byte[] huge = new byte[1_048_300];
            Arrays.fill(huge, (byte) 0xff);
            ProducerRecord<String, byte[]> record =
                    new ProducerRecord<>(Topics.ORDERS, prefix + "-huge", huge);
            record.headers()
                    .add(
                            Topics.HEADER_MESSAGE_ID,
                            (prefix + "-huge-m").getBytes(StandardCharsets.UTF_8));
            BillingPipeline.sendRecords(List.of(record));
            BillingPipeline.send(BillingPipeline.orders(prefix + "-good", 20));

            await().atMost(Duration.ofSeconds(60))
                    .until(
                            () ->
                                    BillingPipeline.invoiced(prefix + "-good")
                                            .equals(new BillingPipeline.Invoiced(20, 20)));
            List<ConsumerRecord<String, byte[]>> letters =
                    BillingPipeline.committedRecords(Topics.BILLING_DLQ, prefix + "-huge");
            assertThat(letters).hasSize(1);
            ConsumerRecord<String, byte[]> letter = letters.get(0);
            assertThat(BillingPipeline.header(letter, DeadLetter.ERROR))
                    .startsWith("not an OrderEvent");
            assertThat(BillingPipeline.header(letter, Topics.HEADER_MESSAGE_ID))
                    .isEqualTo(prefix + "-huge-m");
            assertThat(BillingPipeline.header(letter, DeadLetter.CUT))
                    .contains("of 1048300 bytes", "headers left out");
            assertThat(letter.serializedValueSize()).isLessThan(DeadLetter.MAX_BYTES);
            assertThat(huge).startsWith(letter.value());
        }
    }
}
