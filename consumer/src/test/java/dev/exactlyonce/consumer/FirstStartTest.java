package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.kafka.GroupProtocol;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A group's very first start: no Kafka committed offsets, no stored offsets, and {@code
 * auto.offset.reset=none}, so the consumer positions every partition at its beginning itself. Under
 * the consumer group protocol the client initialises positions in its background thread even for
 * the partitions the consumer keeps paused until it has positioned them, and reports the missing
 * offsets (NoOffsetForPartitionException) to a later call; the loop must run on.
 */
class FirstStartTest {

    @ParameterizedTest
    @EnumSource(GroupProtocol.class)
    void aFreshGroupStartsAtTheBeginningAndStoresEverything(GroupProtocol protocol)
            throws Exception {
        String group = Pipeline.unique("first-start");
        String prefix = Pipeline.unique("first-start-" + protocol.kafkaName());

        try (ApplicationContext consumer =
                Pipeline.startConsumer(group, Pipeline.unique("pod"), protocol)) {
            OrderConsumer loop = consumer.getBean(OrderConsumer.class);
            // running: the schema is migrated and the group joined
            await().atMost(Duration.ofSeconds(60)).until(loop::isRunning);
            Pipeline.send(Pipeline.orders(prefix, 50));

            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(
                            () ->
                                    assertThat(Pipeline.stored(prefix))
                                            .isEqualTo(new Pipeline.Stored(50, 50)));
            assertThat(loop.isRunning()).isTrue();
            assertThat(Pipeline.groupType(group)).isEqualTo(protocol.groupType());
        }
    }
}
