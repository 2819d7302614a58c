package dev.exactlyonce.consumer;

import dev.exactlyonce.consumer.OrderStore.FencedException;
import dev.exactlyonce.server.StalledLoop;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the poll loop does while PostgreSQL is down: it runs the same database work again and again,
 * with a backoff that doubles from {@code app.consumer.retry-initial-backoff} up to {@code
 * retry-max-backoff}. Meanwhile its partitions are paused, and it keeps polling rather than
 * sleeping: paused partitions return nothing, and the group sees the consumer alive, so it keeps
 * its partitions. When the work succeeds, the partitions resume. Every failed attempt is reported
 * to the {@link StalledLoop}, so readiness turns NOT_SERVING, with the reason, once the loop has
 * been retrying for longer than {@code app.consumer.stalled-after}.
 *
 * <p>Not retried: a fenced transaction (the partition moved to another consumer) and an interrupt;
 * a stop request ends the wait ({@link StopSignal.StopRequested}). Used on the poll-loop thread
 * only.
 */
final class DatabaseOutageBackoff {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseOutageBackoff.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final PartitionAssignment assignment;
    private final ConsumerSettings settings;
    private final StalledLoop stalled;
    private final StopSignal stop;

    private boolean waitingForDependency;

    DatabaseOutageBackoff(
            KafkaConsumer<String, byte[]> consumer,
            PartitionAssignment assignment,
            ConsumerSettings settings,
            StalledLoop stalled,
            StopSignal stop) {
        this.consumer = consumer;
        this.assignment = assignment;
        this.settings = settings;
        this.stalled = stalled;
        this.stop = stop;
    }

    /** Runs {@code work} until it succeeds; {@code what} names it in the log and in readiness. */
    <T> T untilAvailable(String what, Callable<T> work) throws InterruptedException {
        Duration delay = settings.retryInitialBackoff();
        String lastProblem = null;
        try {
            while (true) {
                try {
                    T result = work.call();
                    stalled.moving();
                    return result;
                } catch (FencedException | InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    stop.throwIfRequested();
                    String problem = e.getCause() != null ? e.getCause().toString() : e.toString();
                    stalled.retrying(what + " failed: " + problem);
                    if (!problem.equals(lastProblem)) {
                        LOG.warn(
                                "{} failed ({}); partitions paused, retrying with backoff",
                                what,
                                problem);
                        lastProblem = problem;
                    }
                    if (!waitingForDependency) {
                        waitingForDependency = true;
                        consumer.pause(consumer.assignment());
                    }
                    // poll, not sleep: the group sees this consumer alive; paused partitions return
                    // nothing
                    rewind(consumer.poll(delay));
                    delay = min(delay.multipliedBy(2), settings.retryMaxBackoff());
                }
            }
        } finally {
            if (lastProblem != null) {
                waitingForDependency = false;
                // not those assigned meanwhile: they stay paused until they are positioned
                Set<TopicPartition> resume = new HashSet<>(consumer.assignment());
                resume.removeAll(assignment.awaitingSeek());
                consumer.resume(resume);
                LOG.info("{} works again; partitions resumed", what);
            }
        }
    }

    /** Records a poll returned while they should not be processed yet: read them again later. */
    private void rewind(ConsumerRecords<String, byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            consumer.seek(tp, records.records(tp).get(0).offset());
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
