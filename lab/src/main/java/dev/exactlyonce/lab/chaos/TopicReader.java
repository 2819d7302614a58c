package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code orders} and {@code invoices} with {@code isolation.level=read_committed}, keeping
 * the records of one run (keys starting with the run's order-id prefix): as the concurrent reader
 * while the nemesis strikes, and once, from the beginning, after the run. A lab's is a Kafka
 * consumer of this process ({@link KafkaTopicReader}); on kind, Kafka's console consumer in a
 * broker pod ({@link ConsoleTopicReader}).
 */
interface TopicReader extends AutoCloseable {

    /** Starts the concurrent reader, positioned at the end of both topics. */
    void startConcurrent();

    /** How many records of this run the concurrent reader has seen so far, per topic. */
    Map<String, Long> seenSoFar();

    /** Lets the concurrent reader catch up, then stops it; returns what it saw, in order. */
    List<LogRecord> finish(Duration timeout) throws Exception;

    /** Both topics from the beginning to their committed end, once. */
    List<LogRecord> readCommitted() throws Exception;

    @Override
    void close();
}
