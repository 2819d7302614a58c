package dev.exactlyonce.lab.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import dev.exactlyonce.testkit.EmbeddedKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reader {@code lab chaos --against} uses on kind, with Kafka's own console consumer (the
 * kafka-tools jar of the chart's Kafka version, as a child JVM here instead of {@code kubectl exec}
 * in a broker pod) against a real broker: committed records of the run, in transactions, with
 * values holding every byte and the record markers' neighbours; an aborted transaction; another
 * run's records. It must read exactly what the lab's Kafka-client reader reads, and its concurrent
 * reader must see the records committed while it ran and never the aborted ones.
 */
class ConsoleTopicReaderTest {

    static final String PREFIX = "console-reader-";

    static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = new EmbeddedKafkaBroker(0, Files.createTempDirectory("console-reader-")).start();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            Topics.ensureExist(admin, 30_000);
        }
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    /** The console consumer of the kafka-tools jar on this test's class path. */
    private static ConsoleTopicReader reader() {
        return new ConsoleTopicReader(
                arguments -> {
                    List<String> command =
                            new ArrayList<>(
                                    List.of(
                                            Path.of(System.getProperty("java.home"), "bin", "java")
                                                    .toString(),
                                            "-Xmx64m",
                                            "-cp",
                                            System.getProperty("java.class.path"),
                                            "org.apache.kafka.tools.consumer.ConsoleConsumer",
                                            "--bootstrap-server",
                                            broker.bootstrapServers()));
                    command.addAll(arguments);
                    return command;
                },
                PREFIX);
    }

    @Test
    void readsWhatTheKafkaClientReaderReads() throws Exception {
        try (ConsoleTopicReader console = reader()) {
            console.startConcurrent();
            // the concurrent reader starts at the end: its first run has been there once its groups
            // hold an offset for every partition
            try (Admin admin =
                    Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                await().atMost(Duration.ofSeconds(90))
                        .until(
                                () ->
                                        committedPartitions(admin, console.group(Topics.ORDERS))
                                                        == Topics.ORDERS_PARTITIONS
                                                && committedPartitions(
                                                                admin,
                                                                console.group(Topics.INVOICES))
                                                        == Topics.INVOICES_PARTITIONS);
            }
            try (KafkaProducer<String, byte[]> producer = transactional()) {
                producer.initTransactions();
                write(producer, 0, 40, true);
                write(producer, 40, 10, false); // aborted: no reader may see these
                write(producer, 50, 40, true);
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(Topics.ORDERS, "another-run-1", new byte[] {1}));
                producer.commitTransaction();
            }

            List<LogRecord> committed = console.readCommitted();
            try (KafkaTopicReader kafka = new KafkaTopicReader(broker.bootstrapServers(), PREFIX)) {
                assertThat(committed)
                        .containsExactlyInAnyOrderElementsOf(kafka.readCommitted())
                        .hasSize(160); // 80 orders and their 80 invoices
            }
            assertThat(committed)
                    .noneMatch(
                            r ->
                                    r.key().compareTo(PREFIX + "040") >= 0
                                            && r.key().compareTo(PREFIX + "050") < 0);

            List<LogRecord> seen = console.finish(Duration.ofMinutes(2));
            assertThat(seen).isNotEmpty().allMatch(committed::contains);
            assertThat(seen.stream().map(LogRecord::key).distinct().count()).isEqualTo(80);
        }
    }

    private static int committedPartitions(Admin admin, String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().size();
    }

    /** One transaction of orders and their invoices, keyed as the pipeline keys them. */
    private static void write(
            KafkaProducer<String, byte[]> producer, int from, int count, boolean commit) {
        producer.beginTransaction();
        for (int i = from; i < from + count; i++) {
            String key = PREFIX + String.format("%03d", i);
            producer.send(new ProducerRecord<>(Topics.ORDERS, key, value(i)));
            producer.send(new ProducerRecord<>(Topics.INVOICES, key, value(i + 1)));
        }
        if (commit) {
            producer.commitTransaction();
        } else {
            producer.abortTransaction();
        }
    }

    /** Binary values: every byte value, line breaks, and text like the console's own output. */
    private static byte[] value(int i) {
        byte[] value = new byte[300];
        for (int b = 0; b < 256; b++) {
            value[b] = (byte) (b + i);
        }
        byte[] text = "\nPartition:9\tOffset:9\t".getBytes();
        System.arraycopy(text, 0, value, 256, text.length);
        return value;
    }

    private static KafkaProducer<String, byte[]> transactional() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        "console-reader-test"),
                new StringSerializer(),
                new ByteArraySerializer());
    }
}
