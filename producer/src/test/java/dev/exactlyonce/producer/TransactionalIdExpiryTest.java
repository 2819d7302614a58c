package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.kafka.TransactionErrors;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@code transactional.id.expiration.ms} (7 days by default) does, in seconds: a broker that
 * forgets an idle transactional id after 2 s. A producer pod that comes back after the expiry is a
 * new producer to Kafka (a new producer id at epoch 0), nothing committed before is lost, and an
 * incarnation still holding the old producer id cannot commit anything: exactly-once holds across
 * the expiry (docs/concepts.md, "transactional.id.expiration.ms").
 */
class TransactionalIdExpiryTest {

    private static final String TOPIC = "expiry-orders";
    private static final String IDLE_TOPIC = "expiry-idle-orders";
    private static final String TRANSACTIONAL_ID = "order-producer-producer-0";

    private static EmbeddedKafkaBroker broker;
    private static Admin admin;

    @BeforeAll
    static void startBroker() throws Exception {
        Path dataDir = Files.createTempDirectory("transactional-id-expiry-");
        broker =
                new EmbeddedKafkaBroker(0, dataDir)
                        .withBrokerSetting("transactional.id.expiration.ms", "2000")
                        // how often the coordinator looks for expired ids (default 1 hour)
                        .withBrokerSetting(
                                "transaction.remove.expired.transaction.cleanup.interval.ms", "500")
                        .start();
        admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
        admin.createTopics(
                        List.of(
                                new NewTopic(TOPIC, 1, (short) 1),
                                new NewTopic(IDLE_TOPIC, 1, (short) 1)))
                .all()
                .get();
    }

    @AfterAll
    static void stopBroker() {
        admin.close();
        broker.close();
    }

    @Test
    void aProducerBackAfterTheExpiryIsANewProducerAndTheOldIncarnationCommitsNothing()
            throws Exception {
        KafkaProducer<String, String> before = producer();
        before.initTransactions();
        before.beginTransaction();
        before.send(new ProducerRecord<>(TOPIC, "o-1", "committed before the expiry")).get();
        before.commitTransaction();
        TransactionDescription known = describe();
        long oldProducerId = known.producerId();

        // idle for longer than transactional.id.expiration.ms: the coordinator forgets the id
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(
                        () ->
                                assertThat(catchThrowable(TransactionalIdExpiryTest::describe))
                                        .hasCauseInstanceOf(
                                                TransactionalIdNotFoundException.class));

        // the pod comes back with the same transactional.id: a new producer id, epoch 0
        try (KafkaProducer<String, String> after = producer()) {
            after.initTransactions();
            TransactionDescription reborn = describe();
            assertThat(reborn.producerId()).isNotEqualTo(oldProducerId);
            assertThat(reborn.producerEpoch()).isZero();
            after.beginTransaction();
            after.send(new ProducerRecord<>(TOPIC, "o-2", "committed after the expiry")).get();
            after.commitTransaction();

            // the old incarnation (a zombie still holding the old producer id) cannot commit
            Throwable refused =
                    catchThrowable(
                            () -> {
                                before.beginTransaction();
                                before.send(new ProducerRecord<>(TOPIC, "o-3", "zombie")).get();
                                before.commitTransaction();
                            });
            assertThat(refused)
                    .as("the old incarnation's transaction")
                    .hasCauseInstanceOf(InvalidPidMappingException.class);
        } finally {
            before.close(Duration.ZERO);
        }

        assertThat(committedValues(TOPIC))
                .containsExactly("committed before the expiry", "committed after the expiry");
    }

    /**
     * "It broke after a week": the pod stayed up but sent nothing for longer than the expiry. Its
     * next transaction fails with InvalidPidMappingException and leaves the client in a fatal state
     * (even abortTransaction is refused), so {@link TransactionErrors} calls it fatal: the group
     * committer and billing replace the producer, and the replacement commits.
     */
    @Test
    void aProducerIdleLongerThanTheExpiryIsReplacedAndTheReplacementCommits() throws Exception {
        String idleId = "order-producer-idle-0";
        try (KafkaProducer<String, String> idle = producer(idleId)) {
            idle.initTransactions();
            idle.beginTransaction();
            idle.send(new ProducerRecord<>(IDLE_TOPIC, "i-1", "before the idle week")).get();
            idle.commitTransaction();
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(
                            () ->
                                    assertThat(catchThrowable(() -> describe(idleId)))
                                            .hasCauseInstanceOf(
                                                    TransactionalIdNotFoundException.class));

            Throwable failed =
                    catchThrowable(
                            () -> {
                                idle.beginTransaction();
                                idle.send(new ProducerRecord<>(IDLE_TOPIC, "i-2", "lost call"))
                                        .get();
                                idle.commitTransaction();
                            });
            assertThat(failed).hasCauseInstanceOf(InvalidPidMappingException.class);
            assertThat(TransactionErrors.isFatal(failed.getCause())).isTrue();
            assertThat(catchThrowable(idle::abortTransaction))
                    .as("a fatal state: not even an abort")
                    .isInstanceOf(KafkaException.class);
        }
        try (KafkaProducer<String, String> replacement = producer(idleId)) {
            replacement.initTransactions();
            replacement.beginTransaction();
            replacement.send(new ProducerRecord<>(IDLE_TOPIC, "i-2", "retried call")).get();
            replacement.commitTransaction();
        }
        assertThat(committedValues(IDLE_TOPIC))
                .containsExactly("before the idle week", "retried call");
    }

    private static TransactionDescription describe() throws Exception {
        return describe(TRANSACTIONAL_ID);
    }

    private static TransactionDescription describe(String transactionalId) throws Exception {
        return admin.describeTransactions(List.of(transactionalId))
                .description(transactionalId)
                .get();
    }

    private static KafkaProducer<String, String> producer() {
        return producer(TRANSACTIONAL_ID);
    }

    private static KafkaProducer<String, String> producer(String transactionalId) {
        return new KafkaProducer<>(
                Map.of(
                        "bootstrap.servers", broker.bootstrapServers(),
                        "transactional.id", transactionalId,
                        "acks", "all",
                        "max.block.ms", "10000",
                        "delivery.timeout.ms", "10000",
                        "request.timeout.ms", "5000"),
                new StringSerializer(),
                new StringSerializer());
    }

    /** What a read_committed reader sees: only records of committed transactions. */
    private static List<String> committedValues(String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> reader =
                new KafkaConsumer<>(
                        Map.of(
                                "bootstrap.servers",
                                broker.bootstrapServers(),
                                "isolation.level",
                                "read_committed"),
                        new StringDeserializer(),
                        new StringDeserializer())) {
            reader.assign(List.of(partition));
            reader.seekToBeginning(List.of(partition));
            long end = reader.endOffsets(List.of(partition)).get(partition);
            List<String> values = new ArrayList<>();
            while (reader.position(partition) < end) {
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            return values;
        }
    }
}
