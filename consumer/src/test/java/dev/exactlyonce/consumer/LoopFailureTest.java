package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.server.LoopFailureHalt;
import io.micronaut.context.ApplicationContext;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A poll loop that dies of something nobody expected does not leave a process that answers with
 * nothing consumed: it halts (in-process here, see {@link InProcessHalt}) with {@link
 * LoopFailureHalt#EXIT_CODE}, and the process started in its place stores every order once.
 */
class LoopFailureTest {

    private static final int ORDERS = 50;

    @Test
    void aLoopThatDiesHaltsItsProcessAndTheRestartStoresEveryOrderOnce() throws Exception {
        String group = Pipeline.unique("loop-failure");
        String pod = Pipeline.unique("pod");
        String prefix = Pipeline.unique("loop-failure");
        Pipeline.startGroupAtEnd(group);
        Map<String, Object> dying = Pipeline.consumerProperties(group, pod);
        dying.put("test.consumer.writer-dies-once", "true");

        try (ApplicationContext first =
                ApplicationContext.builder().environments("test").properties(dying).start()) {
            OrderConsumer consumer = first.getBean(OrderConsumer.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> consumer.partitions().size() == 3);
            Pipeline.send(Pipeline.orders(prefix, ORDERS));
            InProcessHalt halt = first.getBean(InProcessHalt.class);
            // the in-process halt ends the loop's thread with an Error: the halt, not a failure
            await().dontCatchUncaughtExceptions()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> halt.fired() == 1 && !consumer.isRunning());
            assertThat(halt.lastStatus()).isEqualTo(LoopFailureHalt.EXIT_CODE);
            assertThat(Pipeline.stored(prefix).rows()).as("nothing of the batch stored").isZero();
        }

        try (ApplicationContext restarted = Pipeline.startConsumer(group, pod)) {
            Pipeline.awaitCaughtUp(group);
            assertThat(Pipeline.stored(prefix)).isEqualTo(new Pipeline.Stored(ORDERS, ORDERS));
            assertThat(restarted.getBean(InProcessHalt.class).fired()).isZero();
        }
    }
}
