package dev.exactlyonce.billing;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.LoopFailureHalt;
import io.micronaut.configuration.kafka.annotation.KafkaListener;
import io.micronaut.configuration.kafka.annotation.OffsetReset;
import io.micronaut.configuration.kafka.annotation.OffsetStrategy;
import io.micronaut.configuration.kafka.annotation.Topic;
import io.micronaut.context.annotation.Property;
import java.util.Collection;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * micronaut-kafka runs the consumer (group membership, poll loop, lifecycle) and hands each poll
 * batch, with the {@link Consumer} itself, to {@link BillingStage}, which does every offset step
 * explicitly: {@code offsetStrategy = DISABLED}, so micronaut-kafka never commits on its own. Not
 * used on purpose: {@code OffsetStrategy.SEND_TO_TRANSACTION} with {@code @SendTo} (see the README:
 * it commits a whole poll batch's offsets in the first record's transaction, and without the
 * consumer's generation).
 *
 * <p>Values are read as bytes and decoded by the stage: an undecodable order becomes a dead letter
 * instead of a deserialization error for the whole partition. {@code read_committed}: only orders
 * of committed producer transactions are billed.
 */
@KafkaListener(
        groupId = "${app.billing.group-id}",
        clientId = "billing-${app.pod-name}",
        batch = true,
        offsetStrategy = OffsetStrategy.DISABLED,
        offsetReset = OffsetReset.EARLIEST,
        isolation = IsolationLevel.READ_COMMITTED,
        pollTimeout = "500ms",
        properties = {
            @Property(
                    name = ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                    value = "org.apache.kafka.common.serialization.StringDeserializer"),
            @Property(
                    name = ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                    value = "org.apache.kafka.common.serialization.ByteArrayDeserializer"),
            @Property(
                    name = ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                    value = "${app.billing.max-poll-records:500}"),
            // a killed replica's partitions move to the others within this time (the default is 45
            // s); classic protocol only: with app.group-protocol=consumer platform's GroupProtocol
            // leaves both out and the broker's group.consumer.* settings apply
            @Property(
                    name = ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                    value = "${app.billing.session-timeout-ms:10000}"),
            @Property(
                    name = ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                    value = "${app.billing.heartbeat-interval-ms:2000}")
        })
class OrderListener implements ConsumerRebalanceListener {

    private final BillingStage stage;
    private final BillingRecovery recovery;
    private final LoopFailureHalt loopFailure;

    OrderListener(BillingStage stage, BillingRecovery recovery, LoopFailureHalt loopFailure) {
        this.stage = stage;
        this.recovery = recovery;
        this.loopFailure = loopFailure;
    }

    @Topic(Topics.ORDERS)
    void receive(ConsumerRecords<String, byte[]> orders, Consumer<String, byte[]> consumer)
            throws InterruptedException {
        try {
            stage.process(orders, consumer);
        } catch (RuntimeException e) {
            // whatever went wrong, the batch is read again rather than skipped (micronaut-kafka
            // would log the exception and poll on from after the batch), after the backoff, and
            // the stall watch hears of it
            recovery.readAgain(consumer, orders, e);
            recovery.notBilled();
            throw e;
        } catch (Error e) {
            // something nobody expected: micronaut-kafka closes the consumer and its poll thread
            // ends, so billing would never invoice again; the process halts instead and its
            // restart goes on from the committed offsets (its producer fences any open
            // transaction)
            loopFailure.halt("billing's poll loop", e);
            throw e;
        }
    }

    /** micronaut-kafka registers the listener bean as the consumer's rebalance listener. */
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        recovery.partitionsAssigned();
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        // nothing to hand over: every batch ends committed or read again before the next poll
    }
}
