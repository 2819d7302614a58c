package dev.exactlyonce.consumer;

import dev.exactlyonce.kafka.KafkaConnection;

import dev.exactlyonce.kafka.Topics;
import io.micronaut.context.annotation.Property;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * orders.dlq: the original key, value and headers, plus where the record came from and why it failed.
 * {@link #send} returns only when the broker acknowledged every record, and the poll loop calls it
 * BEFORE the commit that moves the offsets past them, so a dead letter is never lost. A crash between
 * the two replays the batch and may write a dead letter twice: the DLQ is at-least-once; consumers of
 * it dedup by {@value Topics#HEADER_MESSAGE_ID} and the original position.
 */
@Singleton
class DeadLetterQueue {

    static final String ORIGINAL_TOPIC = "dlq.original.topic";
    static final String ORIGINAL_PARTITION = "dlq.original.partition";
    static final String ORIGINAL_OFFSET = "dlq.original.offset";
    static final String ERROR = "dlq.error";
    static final String ATTEMPTS = "dlq.attempts";
    static final String CONSUMER = "dlq.consumer";

    private final KafkaProducer<String, byte[]> producer;
    private final String podName;

    DeadLetterQueue(KafkaConnection kafka,
                    @Property(name = "app.pod-name") String podName) {
        Properties p = kafka.properties();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "consumer-dlq-" + podName);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.podName = podName;
    }

    /** Writes the dead letters and waits for the broker's acknowledgement of each. */
    void send(List<DeadLetter> letters) throws ExecutionException, InterruptedException {
        List<Future<RecordMetadata>> acks = new ArrayList<>(letters.size());
        for (DeadLetter letter : letters) {
            var source = letter.source();
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.DLQ, null, source.key(), source.value());
            for (Header header : source.headers()) {
                record.headers().add(header);
            }
            record.headers()
                    .add(ORIGINAL_TOPIC, utf8(source.topic()))
                    .add(ORIGINAL_PARTITION, utf8(String.valueOf(source.partition())))
                    .add(ORIGINAL_OFFSET, utf8(String.valueOf(source.offset())))
                    .add(ERROR, utf8(letter.error()))
                    .add(ATTEMPTS, utf8(String.valueOf(letter.attempts())))
                    .add(CONSUMER, utf8(podName));
            acks.add(producer.send(record));
        }
        for (Future<RecordMetadata> ack : acks) {
            ack.get();
        }
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
