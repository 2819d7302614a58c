package dev.exactlyonce.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A bootstrap list in which no name resolves: what kafka-clients do with it, and what {@link
 * KafkaBootstrap}, {@link DeferredConsumer} and {@link DeferredAdminClient} do instead. Names under
 * {@code .invalid} never resolve (RFC 2606); nothing listens on port 1 of 127.0.0.1.
 */
class KafkaBootstrapTest {

    private static final String NOTHING_RESOLVES =
            "exactly-once-kafka.exactly-once.invalid:9092,"
                    + " exactly-once-kafka-0.exactly-once-kafka-headless.invalid:9092";
    private static final String RESOLVES_BUT_UNREACHABLE =
            "127.0.0.1:1,exactly-once-kafka-0.exactly-once-kafka-headless.invalid:9092";

    @Test
    void kafkaClientConstructorsRefuseAListInWhichNoNameResolves() {
        Map<String, Object> settings =
                Map.of(
                        "bootstrap.servers", NOTHING_RESOLVES,
                        "key.serializer", StringSerializer.class,
                        "value.serializer", StringSerializer.class,
                        "key.deserializer", StringDeserializer.class,
                        "value.deserializer", StringDeserializer.class);
        for (Runnable construct :
                List.<Runnable>of(
                        () -> new KafkaProducer<String, String>(settings),
                        () -> new KafkaConsumer<String, String>(settings),
                        () -> Admin.create(settings))) {
            assertThatThrownBy(construct::run)
                    .isInstanceOf(KafkaException.class)
                    .hasRootCauseInstanceOf(ConfigException.class)
                    .rootCause()
                    .hasMessage("No resolvable bootstrap urls given in bootstrap.servers");
        }
    }

    @Test
    void namesWhatDoesNotResolve() {
        assertThat(KafkaBootstrap.problem(NOTHING_RESOLVES))
                .contains(
                        "no Kafka bootstrap name resolves (exactly-once-kafka.exactly-once.invalid:9092,"
                                + " exactly-once-kafka-0.exactly-once-kafka-headless.invalid:9092)");
        assertThat(KafkaBootstrap.problem(RESOLVES_BUT_UNREACHABLE)).isEmpty();
        // not host:port: the client's constructor says what is wrong with it
        assertThat(KafkaBootstrap.problem("no-port.invalid")).isEmpty();
    }

    @Test
    void createThrowsARetriableExceptionInsteadOfConstructing() {
        AtomicBoolean constructed = new AtomicBoolean();
        assertThatThrownBy(
                        () ->
                                KafkaBootstrap.create(
                                        NOTHING_RESOLVES, () -> constructed.getAndSet(true)))
                .isInstanceOf(UnresolvableBootstrapException.class)
                .isInstanceOf(RetriableException.class)
                .hasMessageContaining("exactly-once-kafka-0.exactly-once-kafka-headless.invalid");
        assertThat(constructed).isFalse();

        // resolvable but unreachable: constructing is fine, the client retries connecting itself
        try (Admin admin =
                KafkaBootstrap.create(
                        RESOLVES_BUT_UNREACHABLE,
                        () ->
                                Admin.create(
                                        Map.of("bootstrap.servers", RESOLVES_BUT_UNREACHABLE)))) {
            assertThat(admin).isNotNull();
        }
    }

    @Test
    void awaitRetriesUntilStoppedAndSaysSo() {
        AtomicBoolean stop = new AtomicBoolean();
        long started = System.nanoTime();
        new Thread(
                        () -> {
                            sleep(700);
                            stop.set(true);
                        })
                .start();
        assertThatThrownBy(
                        () ->
                                KafkaBootstrap.await(
                                        NOTHING_RESOLVES, "test client", () -> "client", stop::get))
                .isInstanceOf(InterruptedException.class)
                .hasMessageContaining("test client");
        // waits at most 100 ms past the stop, however long its backoff
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aDeferredConsumerPollsNothingUntilItCanBeConstructed() {
        Consumer<String, String> consumer =
                DeferredConsumer.of(NOTHING_RESOLVES, "test", KafkaBootstrapTest::consumer);
        assertThat(consumer).isInstanceOf(DeferredConsumer.class);

        consumer.subscribe(List.of("orders"));
        assertThat(consumer.subscription()).containsExactly("orders");
        assertThat(consumer.assignment()).isEmpty();
        consumer.pause(consumer.assignment());
        assertThat(consumer.poll(Duration.ofMillis(50)).isEmpty()).isTrue();
        consumer.wakeup();
        assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10)))
                .isInstanceOf(WakeupException.class);
        assertThatThrownBy(consumer::commitSync).isInstanceOf(UnresolvableBootstrapException.class);

        consumer.close();
        assertThatThrownBy(() -> consumer.poll(Duration.ZERO))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aResolvableListGetsTheRealConsumerAtOnce() {
        try (Consumer<String, String> consumer =
                DeferredConsumer.of(
                        RESOLVES_BUT_UNREACHABLE,
                        "test",
                        () ->
                                new KafkaConsumer<>(
                                        Map.of("bootstrap.servers", RESOLVES_BUT_UNREACHABLE),
                                        new StringDeserializer(),
                                        new StringDeserializer()))) {
            assertThat(consumer).isInstanceOf(KafkaConsumer.class);
        }
    }

    @Test
    void aDeferredAdminClientConstructsTheAdminOnTheFirstCallThatCan() {
        AdminClient waiting =
                DeferredAdminClient.of(
                        NOTHING_RESOLVES,
                        () -> Admin.create(Map.of("bootstrap.servers", NOTHING_RESOLVES)));
        assertThat(((DeferredAdminClient) waiting).constructed()).isFalse();
        assertThatThrownBy(waiting::describeCluster)
                .isInstanceOf(UnresolvableBootstrapException.class)
                .hasMessageContaining("no Kafka bootstrap name resolves");
        assertThat(waiting.metrics()).isEmpty();
        waiting.close();

        try (AdminClient resolvable =
                DeferredAdminClient.of(
                        RESOLVES_BUT_UNREACHABLE,
                        () ->
                                Admin.create(
                                        Map.of("bootstrap.servers", RESOLVES_BUT_UNREACHABLE)))) {
            assertThat(((DeferredAdminClient) resolvable).constructed()).isTrue();
            assertThat(resolvable.metrics()).isNotEmpty();
        }
    }

    private static Consumer<String, String> consumer() {
        return new KafkaConsumer<>(
                Map.of("bootstrap.servers", NOTHING_RESOLVES),
                new StringDeserializer(),
                new StringDeserializer());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
