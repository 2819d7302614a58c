package dev.exactlyonce.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.OffsetStrategy;
import io.micronaut.configuration.kafka.annotation.Topic;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import io.micronaut.messaging.annotation.SendTo;
import jakarta.inject.Singleton;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The drill of micronaut-kafka's built-in consume-transform-produce, {@code
 * OffsetStrategy.SEND_TO_TRANSACTION} with {@code @SendTo}, against the real broker, before
 * trusting it for billing. Reading its source ({@code ConsumerState.endTransaction},
 * micronaut-kafka 5.9.0) suggests two flaws; both are proven here:
 *
 * <ol>
 *   <li>each record gets its own transaction, but the offsets sent in it are those of the WHOLE
 *       poll batch: once the first record's transaction commits, the group's offsets are past
 *       orders that have no invoice yet. A crash at that moment loses them (a restart resumes after
 *       the batch).
 *   <li>the offsets go with {@code new ConsumerGroupMetadata(groupId)}: no generation, no member
 *       id. The broker cannot tell a zombie from the owner, so an instance that lost its partitions
 *       still commits — exactly what {@code consumer.groupMetadata()} prevents (see {@link
 *       ZombieFencingTest}).
 * </ol>
 */
class MicronautKafkaSendToTransactionTest {

    private static final int ORDERS = 10;

    /**
     * Bills one order per call, the way the micronaut-kafka guide shows; stops inside the second
     * order.
     */
    @Requires(property = "drill.topic")
    @KafkaListener(
            groupId = "${drill.group}",
            offsetReset = OffsetReset.EARLIEST,
            offsetStrategy = OffsetStrategy.SEND_TO_TRANSACTION,
            producerClientId = "drill-invoices",
            producerTransactionalId = "${drill.transactional-id}",
            isolation = IsolationLevel.READ_COMMITTED)
    static class SendToTransactionBilling {

        final CountDownLatch insideSecondOrder = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger billed = new AtomicInteger();

        @Topic("${drill.topic}")
        @SendTo("${drill.output}")
        String bill(String order) throws InterruptedException {
            if (billed.incrementAndGet() == 2) {
                // the process "dies" here: the test looks at the broker while this order is being
                // billed
                insideSecondOrder.countDown();
                release.await(60, TimeUnit.SECONDS);
            }
            return "invoice of " + order;
        }
    }

    /** Records the group metadata micronaut-kafka itself passes to sendOffsetsToTransaction. */
    @Requires(property = "drill.topic")
    @Singleton
    static class GroupMetadataRecorder implements BeanCreatedEventListener<Producer<?, ?>> {

        final List<ConsumerGroupMetadata> passed = new CopyOnWriteArrayList<>();

        @Override
        public Producer<?, ?> onCreated(BeanCreatedEvent<Producer<?, ?>> event) {
            Producer<?, ?> producer = event.getBean();
            return (Producer<?, ?>)
                    Proxy.newProxyInstance(
                            Producer.class.getClassLoader(),
                            new Class<?>[] {Producer.class},
                            (proxy, method, args) -> {
                                if (method.getName().equals("sendOffsetsToTransaction")
                                        && args[1] instanceof ConsumerGroupMetadata metadata) {
                                    passed.add(metadata);
                                }
                                try {
                                    return method.invoke(producer, args);
                                } catch (InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            });
        }
    }

    @Test
    void commitsTheWholePollBatchInTheFirstRecordsTransactionWithoutGeneration() throws Exception {
        String topic = BillingPipeline.unique("drill-orders");
        String output = BillingPipeline.unique("drill-invoices");
        String group = BillingPipeline.unique("drill-group");
        try (Admin admin = BillingPipeline.admin()) {
            admin.createTopics(
                            List.of(
                                    new NewTopic(topic, 1, (short) 1),
                                    new NewTopic(output, 1, (short) 1)))
                    .all()
                    .get();
        }
        // all orders are in the log before the listener starts, so its first poll returns them as
        // one batch
        List<ProducerRecord<String, byte[]>> orders = new ArrayList<>();
        for (int i = 0; i < ORDERS; i++) {
            orders.add(
                    new ProducerRecord<>(
                            topic, "order-" + i, ("order-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        BillingPipeline.sendRecords(orders);

        Map<String, Object> properties =
                new HashMap<>(
                        BillingPipeline.billingProperties(
                                BillingPipeline.unique("billing-idle"),
                                BillingPipeline.unique("billing-pod")));
        properties.put("drill.topic", topic);
        properties.put("drill.output", output);
        properties.put("drill.group", group);
        properties.put("drill.transactional-id", BillingPipeline.unique("drill-tx"));
        try (ApplicationContext context =
                ApplicationContext.builder().environments("test").properties(properties).start()) {
            SendToTransactionBilling listener = context.getBean(SendToTransactionBilling.class);
            try {
                assertThat(listener.insideSecondOrder.await(60, TimeUnit.SECONDS)).isTrue();
                whileInsideTheSecondOrder(context, group, topic, output);
            } finally {
                listener.release.countDown();
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    BillingPipeline.committedRecords(output, "order-").size()
                                            == ORDERS);
        }
    }

    private static void whileInsideTheSecondOrder(
            ApplicationContext context, String group, String topic, String output)
            throws Exception {
        {
            // the first order's transaction committed (its markers are written just after
            // commitTransaction returns, hence the wait): one invoice ...
            TopicPartition in = new TopicPartition(topic, 0);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> BillingPipeline.committed(group).get(in) != null);
            assertThat(BillingPipeline.committedRecords(output, "order-")).hasSize(1);
            // ... and the offsets of ALL the orders of the poll: a restart now would never bill
            // orders 1..9
            assertThat(BillingPipeline.committed(group)).containsEntry(in, (long) ORDERS);

            // and micronaut-kafka sent them with a group metadata that has no generation and no
            // member id
            ConsumerGroupMetadata passed =
                    context.getBean(GroupMetadataRecorder.class).passed.get(0);
            assertThat(passed.groupId()).isEqualTo(group);
            assertThat(passed.generationId()).isEqualTo(-1);
            assertThat(passed.memberId()).isEmpty();
            assertThat(passed.groupInstanceId()).isEmpty();
        }
    }

    /**
     * What that metadata means at the broker: the same zombie as in {@link ZombieFencingTest} (it
     * polled a batch, then lost its partition to a newer generation) commits the group's offsets
     * without any error when it passes {@code new ConsumerGroupMetadata(groupId)}, as
     * micronaut-kafka does.
     */
    @Test
    void metadataWithoutGenerationLetsAZombieCommit() throws Exception {
        String group = BillingPipeline.unique("drill-zombie-group");
        String topic = BillingPipeline.unique("drill-zombie-orders");
        try (Admin admin = BillingPipeline.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        List<ProducerRecord<String, byte[]>> orders = new ArrayList<>();
        for (int i = 0; i < ORDERS; i++) {
            orders.add(
                    new ProducerRecord<>(
                            topic, null, ("order-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        BillingPipeline.sendRecords(orders);
        TopicPartition in = new TopicPartition(topic, 0);

        try (KafkaConsumer<String, byte[]> zombie = ZombieFencingTest.consumer(group, "zombie");
                KafkaConsumer<String, byte[]> successor =
                        ZombieFencingTest.consumer(group, "successor");
                KafkaProducer<String, String> producer =
                        transactionalProducer(BillingPipeline.unique("drill-zombie-tx"))) {
            zombie.subscribe(List.of(topic));
            ConsumerRecords<String, byte[]> batch = ZombieFencingTest.pollUntil(zombie, ORDERS);
            successor.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60))
                    .until(
                            () -> {
                                successor.poll(Duration.ofMillis(200));
                                return successor.assignment().contains(in);
                            });

            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(
                    Map.of(in, new OffsetAndMetadata(batch.records(in).size())),
                    new ConsumerGroupMetadata(group));
            producer.commitTransaction();

            // no error: the broker took the offsets; they show once the transaction's markers are
            // written
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () ->
                                    assertThat(BillingPipeline.committed(group))
                                            .as("the zombie moved the successor's offsets")
                                            .containsEntry(in, (long) ORDERS));
        }
    }

    private static KafkaProducer<String, String> transactionalProducer(String transactionalId) {
        Properties p = new Properties();
        p.put("bootstrap.servers", BillingPipeline.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }
}
