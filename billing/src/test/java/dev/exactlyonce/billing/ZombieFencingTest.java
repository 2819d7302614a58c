package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.billing.BillingMetrics.Total;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Zombie fencing (KIP-447), at the step that decides it: a billing instance polled a batch, then
 * lost its partition to a newer generation of the group without noticing (it did not poll again).
 * When it finally runs its exactly-once transaction, {@code sendOffsetsToTransaction(offsets,
 * consumer.groupMetadata())} carries the old generation and member id, the group coordinator
 * rejects it, the transaction aborts: no invoice of the batch becomes visible, the group's offsets
 * do not move.
 */
class ZombieFencingTest {

    private static final int ORDERS = 20;

    @Test
    void anOldGenerationInstanceCannotCommitItsBatch() throws Exception {
        String appGroup = BillingPipeline.unique("billing-app");
        BillingPipeline.startGroupAtEnd(appGroup);
        String group = BillingPipeline.unique("billing-zombie-group");
        String topic = BillingPipeline.unique("zombie-orders");
        String prefix = BillingPipeline.unique("zombie");
        try (Admin admin = BillingPipeline.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        for (OrderEvent order : BillingPipeline.orders(prefix, ORDERS)) {
            records.add(new ProducerRecord<>(topic, order.getOrderId(), order.toByteArray()));
        }
        BillingPipeline.sendRecords(records);

        try (ApplicationContext billing =
                        BillingPipeline.startBilling(
                                appGroup, BillingPipeline.unique("billing-pod"));
                KafkaConsumer<String, byte[]> zombie = consumer(group, "zombie");
                KafkaConsumer<String, byte[]> successor = consumer(group, "successor")) {
            BillingPipeline.use(billing, DeliveryMode.EXACTLY_ONCE);
            BillingStage stage = billing.getBean(BillingStage.class);
            BillingMetrics metrics = billing.getBean(BillingMetrics.class);

            // the zombie-to-be joins (generation 1) and polls the whole batch
            zombie.subscribe(List.of(topic));
            ConsumerRecords<String, byte[]> batch = pollUntil(zombie, ORDERS);
            ConsumerGroupMetadata stale = zombie.groupMetadata();
            assertThat(stale.generationId()).isPositive();

            // a successor joins; the zombie does not poll, so it is dropped after its
            // max.poll.interval and the successor owns the partition in a newer generation
            successor.subscribe(List.of(topic));
            AtomicBoolean owned = new AtomicBoolean();
            await().atMost(Duration.ofSeconds(60))
                    .until(
                            () -> {
                                successor.poll(Duration.ofMillis(200));
                                owned.set(
                                        successor
                                                .assignment()
                                                .contains(new TopicPartition(topic, 0)));
                                return owned.get();
                            });
            assertThat(successor.groupMetadata().generationId())
                    .isGreaterThan(stale.generationId());

            long abortedBefore = metrics.total(Total.TRANSACTIONS_ABORTED);
            stage.process(batch, zombie);

            assertThat(metrics.total(Total.TRANSACTIONS_ABORTED))
                    .as("the zombie's transaction aborted")
                    .isEqualTo(abortedBefore + 1);
            assertThat(BillingPipeline.invoiced(prefix))
                    .as("no invoice of the zombie's batch is visible")
                    .isEqualTo(new BillingPipeline.Invoiced(0, 0));
            assertThat(BillingPipeline.committed(group))
                    .as("the group's offsets did not move")
                    .isEmpty();
        }
    }

    static KafkaConsumer<String, byte[]> consumer(String group, String name) {
        Properties p = new Properties();
        p.put("bootstrap.servers", BillingPipeline.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-" + name);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // the coordinator waits this long for a member that stopped polling before it drops it
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 3_000);
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    static ConsumerRecords<String, byte[]> pollUntil(
            KafkaConsumer<String, byte[]> consumer, int count) {
        List<ConsumerRecords<String, byte[]>> polled = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> {
                            ConsumerRecords<String, byte[]> records =
                                    consumer.poll(Duration.ofMillis(200));
                            if (!records.isEmpty()) {
                                polled.add(records);
                            }
                            return polled.stream().mapToInt(ConsumerRecords::count).sum() >= count;
                        });
        assertThat(polled).as("one poll batch").hasSize(1);
        return polled.get(0);
    }
}
