package dev.exactlyonce.lab.bench;

import dev.exactlyonce.billing.Invoices;
import dev.exactlyonce.grpc.v1.Invoice;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Billing's work written with Kafka Streams, for {@code lab bench --peer kafka-streams}: each order
 * record of the input topic becomes its invoice on the output topic, with billing's own arithmetic
 * ({@link Invoices#invoice}), and {@code processing.guarantee=exactly_once_v2} puts the invoices
 * and the input offsets in one Kafka transaction — what billing's hand-written exactly-once loop
 * does. One stream thread, like billing's one listener thread. Run as a JVM of its own by {@link
 * KafkaStreamsPeer} (its {@link #main}), so that its CPU is its process's.
 */
public final class KafkaStreamsBilling {

    private KafkaStreamsBilling() {}

    /**
     * orders → invoices: stateless, keys kept (so no repartitioning, and an invoice lands in the
     * partition its order came from). An order that cannot be invoiced is dropped here, where
     * billing sends it to billing.dlq; the bench's check would count it as lost.
     */
    public static Topology topology(String input, String output) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .processValues(InvoiceProcessor::new)
                .to(output, Produced.with(Serdes.String(), Serdes.ByteArray()));
        return builder.build();
    }

    public static Properties properties(
            String bootstrapServers, String applicationId, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return props;
    }

    /** One order's value and headers to its invoice's bytes; the record's key and headers stay. */
    private static final class InvoiceProcessor
            implements FixedKeyProcessor<String, byte[], byte[]> {
        private FixedKeyProcessorContext<String, byte[]> context;

        @Override
        public void init(FixedKeyProcessorContext<String, byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, byte[]> order) {
            try {
                Invoice invoice = Invoices.invoice(order.value(), order.headers());
                context.forward(order.withValue(invoice.toByteArray()));
            } catch (Invoices.PoisonOrder poison) {
                System.err.println("not invoiced: " + poison.getMessage());
            }
        }
    }

    /**
     * {@code KafkaStreamsBilling BOOTSTRAP APPLICATION_ID INPUT OUTPUT STATE_DIR}: runs until
     * SIGTERM or until the JVM that started it is gone.
     */
    public static void main(String[] args) throws InterruptedException {
        ChildJvm.exitWithParent();
        KafkaStreams streams =
                new KafkaStreams(
                        topology(args[2], args[3]), properties(args[0], args[1], Path.of(args[4])));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    streams.close(Duration.ofSeconds(10));
                                    stopped.countDown();
                                }));
        streams.setStateListener(
                (now, before) -> System.out.println("kafka streams: " + before + " -> " + now));
        streams.start();
        stopped.await();
    }
}
