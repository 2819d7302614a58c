package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.ConsumerConfig;
import dev.exactlyonce.grpc.v1.ConsumerStats;
import dev.exactlyonce.grpc.v1.CrashPoint;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.GetConsumerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.ResetConsumerStatsRequest;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.kafka.Topics;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Through ConsumerControl, as grpcurl would: settings and their validation, idempotency, poison
 * records, simulated failures with retries and dead letters, stats; at the end the metric names
 * /prometheus really exports are written for the Helm module's dashboard check.
 */
@MicronautTest(transactional = false)
class ConsumerControlTest extends ConsumerServiceTestSupport {

    @BeforeEach
    void defaults() {
        use(DeliveryMode.EXACTLY_ONCE, true);
    }

    @AfterAll
    void writeMetricNames() throws Exception {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> probe.get("/prometheus").body().contains("consumer_lag"));
        TreeSet<String> names = new TreeSet<>();
        for (String line : probe.get("/prometheus").body().split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        Files.writeString(
                Path.of("target", "prometheus-metric-names.txt"), String.join("\n", names) + "\n");
        assertThat(names)
                .contains(
                        "consumer_messages_received_total",
                        "consumer_messages_processed_total",
                        "consumer_duplicates_skipped_total",
                        "consumer_processing_failures_total",
                        "consumer_retries_total",
                        "consumer_dead_lettered_total",
                        "consumer_crashes_fired_total",
                        "consumer_processing_latency_seconds_bucket",
                        "consumer_end_to_end_latency_seconds_bucket",
                        "consumer_lag",
                        "consumer_processing_mode",
                        "consumer_idempotency_enabled");
    }

    @Test
    void updateValidatesEveryFieldAndNamesIt() {
        assertInvalid(UpdateConsumerConfigRequest.newBuilder().setFailureRate(1.5), "failure_rate");
        assertInvalid(
                UpdateConsumerConfigRequest.newBuilder().setFailureRate(Double.NaN),
                "failure_rate");
        assertInvalid(
                UpdateConsumerConfigRequest.newBuilder().setCrashAfterMessages(-1),
                "crash_after_messages");
        assertInvalid(UpdateConsumerConfigRequest.newBuilder().setMaxAttempts(0), "max_attempts");
        assertInvalid(UpdateConsumerConfigRequest.newBuilder().setMaxAttempts(101), "max_attempts");
        assertInvalid(
                UpdateConsumerConfigRequest.newBuilder().setProcessingDelayMs(-5),
                "processing_delay_ms");
        assertInvalid(
                UpdateConsumerConfigRequest.newBuilder()
                        .setProcessingMode(DeliveryMode.DELIVERY_MODE_UNSPECIFIED),
                "processing_mode");
        assertInvalid(
                UpdateConsumerConfigRequest.newBuilder()
                        .setCrashPoint(CrashPoint.CRASH_POINT_UNSPECIFIED),
                "crash_point");

        ConsumerConfig updated =
                control.updateConsumerConfig(
                        UpdateConsumerConfigRequest.newBuilder()
                                .setProcessingMode(DeliveryMode.AT_LEAST_ONCE)
                                .build());
        assertThat(updated.getProcessingMode()).isEqualTo(DeliveryMode.AT_LEAST_ONCE);
        assertThat(updated.getMaxAttempts()).as("fields not set keep their value").isEqualTo(5);
        assertThat(updated.getGroupId()).isEqualTo(group);
        assertThat(updated.getPodName()).startsWith("pod-");
    }

    private void assertInvalid(UpdateConsumerConfigRequest.Builder request, String field) {
        assertThatThrownBy(() -> control.updateConsumerConfig(request.build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> {
                            assertThat(e.getStatus().getCode())
                                    .isEqualTo(Status.Code.INVALID_ARGUMENT);
                            assertThat(e.getStatus().getDescription()).startsWith(field + ":");
                        });
    }

    @Test
    void threeCopiesOfOneMessageAreStoredOnceWithIdempotencyAndThreeTimesWithout()
            throws Exception {
        String once = Pipeline.unique("dedup-on");
        OrderEvent event = Pipeline.order(once + "-1", once + "-1-m");
        Pipeline.send(List.of(event, event, event));
        Pipeline.awaitCaughtUp(group);
        assertThat(Pipeline.stored(once)).isEqualTo(new Pipeline.Stored(1, 1));

        control.updateConsumerConfig(
                UpdateConsumerConfigRequest.newBuilder().setEnableIdempotency(false).build());
        String thrice = Pipeline.unique("dedup-off");
        OrderEvent other = Pipeline.order(thrice + "-1", thrice + "-1-m");
        Pipeline.send(List.of(other, other, other));
        Pipeline.awaitCaughtUp(group);
        assertThat(Pipeline.stored(thrice)).isEqualTo(new Pipeline.Stored(3, 1));
    }

    @Test
    void anInvalidValueWrittenStraightToTheSettingsTopicIsIgnored() throws Exception {
        ConsumerConfig invalid =
                control.getConsumerConfig(GetConsumerConfigRequest.getDefaultInstance()).toBuilder()
                        .setFailureRate(5)
                        .setMaxAttempts(0)
                        .build();
        Properties p = new Properties();
        p.put("bootstrap.servers", Pipeline.infra().bootstrapServers());
        try (KafkaProducer<String, byte[]> writer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            writer.send(
                            new ProducerRecord<>(
                                    Topics.SETTINGS,
                                    SharedConsumerConfig.KEY,
                                    invalid.toByteArray()))
                    .get();
        }
        // an update is merged into the value in force and read back after everything written before
        // it
        ConsumerConfig after =
                control.updateConsumerConfig(
                        UpdateConsumerConfigRequest.newBuilder().setProcessingDelayMs(1).build());
        assertThat(after.getFailureRate()).isZero();
        assertThat(after.getMaxAttempts()).isEqualTo(5);
        assertThat(after.getProcessingDelayMs()).isEqualTo(1);
    }

    @Test
    void poisonRecordIsDeadLetteredAndTheRecordsAfterItAreProcessed() throws Exception {
        String prefix = Pipeline.unique("poison");
        // same key, so same partition: the good records come after the poison one
        Pipeline.sendRaw(
                prefix + "-0",
                "not a protobuf OrderEvent \u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1));
        Pipeline.send(
                List.of(
                        Pipeline.order(prefix + "-0", prefix + "-a"),
                        Pipeline.order(prefix + "-0", prefix + "-b")));
        Pipeline.awaitCaughtUp(group);
        assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(2, 1));
        List<Pipeline.StoredDeadLetter> dead = Pipeline.deadLetters(prefix);
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).messageId()).isNull();
        assertThat(dead.get(0).reason()).startsWith("not an OrderEvent");
    }

    @Test
    void failuresAreRetriedAndWhatExhaustsItsAttemptsIsDeadLettered() throws Exception {
        control.resetConsumerStats(ResetConsumerStatsRequest.getDefaultInstance());
        control.updateConsumerConfig(
                UpdateConsumerConfigRequest.newBuilder()
                        .setFailureRate(0.3)
                        .setMaxAttempts(5)
                        .build());
        String prefix = Pipeline.unique("flaky");
        Pipeline.send(Pipeline.orders(prefix, 1000));
        Pipeline.awaitCaughtUp(group);
        Pipeline.Stored stored = Pipeline.stored(prefix);
        int dead = Pipeline.deadLetters(prefix).size();
        assertThat(stored.rows()).as("none twice").isEqualTo(stored.distinct());
        assertThat(stored.distinct() + dead).as("stored + dead-lettered").isEqualTo(1000);
        ConsumerStats stats =
                control.getConsumerStats(GetConsumerStatsRequest.getDefaultInstance());
        assertThat(stats.getReceived()).isEqualTo(1000);
        assertThat(stats.getProcessed() + stats.getDeadLettered()).isEqualTo(1000);
        assertThat(stats.getFailures()).isGreaterThan(0);
        assertThat(stats.getRetries()).isGreaterThan(0);
        assertThat(stats.getPartitionsList())
                .hasSize(3)
                .allSatisfy(
                        p -> {
                            assertThat(p.getDbOffset()).isEqualTo(p.getPosition());
                            assertThat(p.getKafkaCommittedOffset()).isEqualTo(p.getPosition());
                        });

        control.updateConsumerConfig(
                UpdateConsumerConfigRequest.newBuilder().setFailureRate(1).build());
        String doomed = Pipeline.unique("doomed");
        Pipeline.send(Pipeline.orders(doomed, 1000));
        Pipeline.awaitCaughtUp(group);
        assertThat(Pipeline.stored(doomed).rows()).isZero();
        List<Pipeline.StoredDeadLetter> dlq = Pipeline.deadLetters(doomed);
        assertThat(dlq).hasSize(1000);
        assertThat(dlq.stream().map(Pipeline.StoredDeadLetter::attempts).distinct())
                .containsExactly(5);
        assertThat(
                        Collections.frequency(
                                dlq.stream().map(Pipeline.StoredDeadLetter::key).toList(),
                                doomed + "-7"))
                .isEqualTo(1);
    }
}
