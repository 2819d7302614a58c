package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reads {@code orders} and {@code invoices} with {@code isolation.level=read_committed}, keeping
 * the records of one run (keys starting with the run's order-id prefix): as the concurrent reader,
 * on a thread of its own while the nemesis strikes, and once, from the beginning, after the run. A
 * lab's is a Kafka consumer of this process ({@link KafkaTopicReader}); on kind, Kafka's console
 * consumer in a broker pod ({@link ConsoleTopicReader}).
 */
abstract class TopicReader implements AutoCloseable {

    protected final String prefix;

    /** What the concurrent reader received, in the order it received it. */
    protected final List<LogRecord> seen = new CopyOnWriteArrayList<>();

    /** Set by {@link #finish}: the concurrent reader catches up and returns. */
    protected volatile boolean finishing;

    /** The concurrent reader's last trouble it recovered from, for a timeout's message. */
    protected volatile String lastProblem;

    private volatile Thread thread;
    private volatile Exception failure;

    protected TopicReader(String prefix) {
        this.prefix = prefix;
    }

    /**
     * The concurrent reader: from the end of both topics when it starts, adding to {@link #seen},
     * until {@link #finishing}; then it catches up with what is committed and returns.
     */
    protected abstract void readConcurrently() throws Exception;

    /** Both topics from the beginning to their committed end, once. */
    abstract List<LogRecord> readCommitted() throws Exception;

    /** Starts the concurrent reader. */
    final void startConcurrent() {
        thread =
                new Thread(
                        () -> {
                            try {
                                readConcurrently();
                            } catch (Exception e) {
                                failure = e;
                            }
                        },
                        "chaos-concurrent-reader");
        thread.setDaemon(true);
        thread.start();
    }

    /** How many records of this run the concurrent reader has seen so far, per topic. */
    final Map<String, Long> seenSoFar() {
        Map<String, Long> counts = new TreeMap<>();
        for (LogRecord record : seen) {
            counts.merge(record.topic(), 1L, Long::sum);
        }
        return counts;
    }

    /** Lets the concurrent reader catch up, then stops it; returns what it saw, in order. */
    final List<LogRecord> finish(Duration timeout) throws Exception {
        finishing = true;
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            thread.interrupt();
            throw new IllegalStateException(
                    "the concurrent reader did not catch up in "
                            + timeout
                            + (lastProblem == null ? "" : "; its last trouble: " + lastProblem));
        }
        if (failure != null) {
            throw failure;
        }
        return List.copyOf(seen);
    }

    @Override
    public void close() {
        finishing = true;
        Thread t = thread;
        if (t != null && t.isAlive()) {
            t.interrupt();
        }
    }
}
