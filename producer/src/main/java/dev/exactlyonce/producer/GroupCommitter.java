package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.ProducerConfig;
import dev.exactlyonce.kafka.TransactionErrors;
import dev.exactlyonce.producer.DeliveryModes.Delivered;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: the records of concurrent calls share one Kafka transaction, and each call
 * completes only after that transaction committed. One transaction per call would pay a commit
 * round trip (EndTxn, markers) per order — the original lab's bottleneck.
 *
 * <p>Calls only enqueue; one committer thread owns the transactional producer (so no lock is held
 * while talking to Kafka) and loops: take the first waiting call, begin a transaction, send records
 * as they arrive until {@code maxRecords} or {@code maxMs} after the first, commit, hand the
 * replies to another thread, repeat. While one transaction commits, the next calls queue up: the
 * busier the service, the bigger the transactions. A call's records are never split across
 * transactions, so PlaceOrderBatch is all-or-nothing.
 *
 * <p>With {@code lanes > 1} (app.producer.transaction-lanes) several transactional producers take
 * calls from the same queue, so that one transaction fills while another commits; lane 0 keeps the
 * pod's transactional.id, lane k uses it with suffix "-k". Each lane has at most one open
 * transaction.
 *
 * <p>When a transaction closes is the rule ({@code app.producer.group-commit-adaptive}):
 *
 * <ul>
 *   <li><b>window</b> (false): it takes calls until {@code maxMs} after it opened, whether or not
 *       anything else happens meanwhile.
 *   <li><b>adaptive</b> (true): it takes calls for as long as another lane is committing, and
 *       closes as soon as none is and no call waits. The next transaction fills while the last one
 *       commits, so a transaction holds what arrived during one commit: when commits slow down (the
 *       broker or the CPU is busy) transactions grow, and each order carries less of the
 *       per-transaction cost; when the service is idle a call is committed at once, with no window.
 *       {@code maxMs} bounds how long a transaction takes calls (the latency target); {@code
 *       maxRecords} its size.
 * </ul>
 *
 * <p>Errors, as the KafkaProducer javadoc classifies them: a fenced or fatal producer is closed and
 * a new one initialized (which fences any zombie with the same transactional.id); an abortable
 * error aborts the transaction. Either way every call in the transaction fails and none of its
 * records is visible to read_committed readers.
 */
final class GroupCommitter {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);

    private final Function<String, Producer<String, OrderEvent>> newClient;
    private final String batchPrefix;
    private final Duration sendTimeout;
    private final ProducerMetrics metrics;

    /**
     * Orders queued for a transaction, at most {@value #MAX_QUEUED_ORDERS}: past that a call is
     * refused with RESOURCE_EXHAUSTED (a client may retry it with the same order_id) instead of
     * growing the heap until the process dies.
     */
    static final int MAX_QUEUED_ORDERS = 100_000;

    private final BlockingQueue<Call> waiting = new LinkedBlockingQueue<>();
    private final AtomicInteger queuedOrders = new AtomicInteger();
    private final ExecutorService replies =
            Executors.newSingleThreadExecutor(DaemonThreads.named("group-commit-replies"));
    private final List<Lane> lanes = new ArrayList<>();
    private final AtomicLong transactions = new AtomicLong();
    private final boolean adaptive;

    /** Lanes inside commitTransaction right now (the adaptive rule fills while this is > 0). */
    private final AtomicInteger committing = new AtomicInteger();

    /** How often a filling lane looks again whether the committing ones are done. */
    private static final long FILL_CHECK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private volatile int maxRecords;
    private volatile long maxNanos;
    private volatile boolean draining;

    /** One call's records and its reply. */
    private record Call(List<OutgoingOrder> orders, CompletableFuture<Delivered> result) {}

    /**
     * @param newClient a transactional KafkaProducer for a transactional.id
     * @param lanes transactional producers committing in turn (1: one transaction at a time)
     * @param adaptive the adaptive rule instead of the fixed window (see the class comment)
     */
    GroupCommitter(
            Function<String, Producer<String, OrderEvent>> newClient,
            String transactionalId,
            int lanes,
            boolean adaptive,
            String podName,
            ProducerConfig config,
            Duration sendTimeout,
            ProducerMetrics metrics) {
        this.newClient = newClient;
        this.batchPrefix = podName + "-" + Long.toString(System.currentTimeMillis(), 36) + "-";
        this.sendTimeout = sendTimeout;
        this.metrics = metrics;
        this.adaptive = adaptive;
        tune(config.getGroupCommitMaxRecords(), config.getGroupCommitMaxMs());
        for (int lane = 0; lane < lanes; lane++) {
            this.lanes.add(
                    new Lane(lane == 0 ? transactionalId : transactionalId + "-" + lane, lane));
        }
    }

    /** The transactional.id of each lane, comma-separated. */
    String transactionalId() {
        return String.join(",", lanes.stream().map(lane -> lane.transactionalId).toList());
    }

    void tune(int groupCommitMaxRecords, int groupCommitMaxMs) {
        this.maxRecords = groupCommitMaxRecords;
        this.maxNanos = TimeUnit.MILLISECONDS.toNanos(groupCommitMaxMs);
    }

    CompletableFuture<Delivered> submit(List<OutgoingOrder> orders) {
        Call call = new Call(orders, new CompletableFuture<>());
        if (queuedOrders.addAndGet(orders.size()) > MAX_QUEUED_ORDERS) {
            queuedOrders.addAndGet(-orders.size());
            call.result.completeExceptionally(
                    Status.RESOURCE_EXHAUSTED
                            .withDescription(
                                    "the group commit has "
                                            + MAX_QUEUED_ORDERS
                                            + " orders queued already; retry later with the same order_id")
                            .asRuntimeException());
            return call.result;
        }
        waiting.add(call);
        return call.result;
    }

    /** A call taken off the queue (or null): its orders no longer count against the bound. */
    private Call dequeued(Call call) {
        if (call != null) {
            queuedOrders.addAndGet(-call.orders.size());
        }
        return call;
    }

    void start() {
        lanes.forEach(lane -> lane.thread.start());
    }

    /** Commits what is already queued, then closes the producers. */
    void close() {
        draining = true;
        try {
            for (Lane lane : lanes) {
                if (lane.thread.isAlive()) {
                    lane.thread.join(sendTimeout.toMillis() * 3);
                }
            }
            failWaiting(Status.UNAVAILABLE.withDescription("the producer is shutting down"));
            replies.shutdown();
            replies.awaitTermination(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One transactional producer and the thread that owns it. */
    private final class Lane {

        private final String transactionalId;
        private final Thread thread;
        private Producer<String, OrderEvent> client; // touched by this lane's thread only

        Lane(String transactionalId, int index) {
            this.transactionalId = transactionalId;
            this.thread = new Thread(this::run, "group-committer-" + index);
            this.thread.setDaemon(true);
        }

        private void run() {
            try {
                while (true) {
                    if (client == null && !initialize()) {
                        if (draining) {
                            break;
                        }
                        // back off before the next attempt; calls arriving meanwhile wait for it
                        // (or its failure)
                        TimeUnit.MILLISECONDS.sleep(500);
                        continue;
                    }
                    Call first = dequeued(waiting.poll(100, TimeUnit.MILLISECONDS));
                    if (first != null) {
                        commitGroup(first);
                    } else if (draining) {
                        break;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeClient(sendTimeout);
            }
        }

        /**
         * A new producer: initTransactions fences older producers with this transactional.id and
         * aborts their open transaction.
         */
        private boolean initialize() {
            Producer<String, OrderEvent> candidate = null;
            try {
                candidate = newClient.apply(transactionalId);
                candidate.initTransactions();
                client = candidate;
                return true;
            } catch (KafkaException e) {
                if (candidate != null) {
                    candidate.close(Duration.ZERO);
                }
                failWaiting(
                        DeliveryModes.statusOf(e).augmentDescription("initTransactions failed"));
                return false;
            }
        }

        private void commitGroup(Call first) {
            String batchId = batchPrefix + transactions.incrementAndGet();
            List<Call> calls = new ArrayList<>();
            calls.add(
                    first); // from here on, whatever happens, every call in the list gets an answer
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            long opened = System.nanoTime();
            long deadline = opened + maxNanos;
            try {
                client.beginTransaction();
                Call call = first;
                while (true) {
                    for (OutgoingOrder order : call.orders) {
                        sends.add(client.send(order.toRecord(DeliveryMode.EXACTLY_ONCE, batchId)));
                    }
                    metrics.sent(DeliveryMode.EXACTLY_ONCE, call.orders.size());
                    if (sends.size() >= maxRecords) {
                        break;
                    }
                    call = dequeued(waiting.poll());
                    if (call == null) {
                        call = adaptive ? nextWhileAnotherCommits(deadline) : nextWithin(deadline);
                    }
                    if (call == null) {
                        break;
                    }
                    calls.add(call);
                }
                committing.incrementAndGet();
                try {
                    client.commitTransaction(); // flushes, then EndTxn: all visible, or none
                } finally {
                    committing.decrementAndGet();
                }
                metrics.committed(sends.size(), System.nanoTime() - opened);
                replies.execute(() -> succeed(calls, sends, batchId));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abandon(
                        calls,
                        Status.UNAVAILABLE.withDescription("the producer is shutting down"),
                        e);
            } catch (TimeoutException e) {
                // the commit's outcome is unknown and the transaction cannot be aborted: start over
                abandon(
                        calls,
                        Status.UNAVAILABLE.withDescription(
                                "Kafka did not complete transaction "
                                        + batchId
                                        + " within "
                                        + sendTimeout.toMillis()
                                        + " ms: "
                                        + e.getMessage()),
                        e);
            } catch (KafkaException e) {
                if (TransactionErrors.isFatal(e)) {
                    // fatal for this producer instance: only a new one can go on
                    LOG.warn(
                            "transaction {} failed, producer {} is recreated: {}",
                            batchId,
                            transactionalId,
                            e.toString());
                    abandon(
                            calls,
                            Status.ABORTED.withDescription(
                                    "transaction aborted, producer "
                                            + transactionalId
                                            + " was fenced or failed ("
                                            + e.getMessage()
                                            + "); it is recreated, retry the call"),
                            e);
                } else {
                    // abortable (e.g. a record expired): nothing of this transaction becomes
                    // visible
                    Status status =
                            DeliveryModes.isRetriable(e) ? Status.UNAVAILABLE : Status.ABORTED;
                    fail(
                            calls,
                            status.withDescription(
                                    "transaction " + batchId + " aborted: " + rootMessage(e)),
                            e);
                    try {
                        client.abortTransaction();
                    } catch (KafkaException abortFailed) {
                        closeClient(Duration.ZERO);
                    }
                }
            } catch (RuntimeException e) {
                LOG.error(
                        "transaction {} failed unexpectedly, producer {} is recreated",
                        batchId,
                        transactionalId,
                        e);
                abandon(
                        calls,
                        Status.ABORTED.withDescription("transaction " + batchId + " aborted: " + e),
                        e);
            }
        }

        /** The window rule: the next call that arrives before the deadline. */
        private Call nextWithin(long deadline) throws InterruptedException {
            long left = deadline - System.nanoTime();
            return left > 0 ? dequeued(waiting.poll(left, TimeUnit.NANOSECONDS)) : null;
        }

        /**
         * The adaptive rule: the next call that arrives while another lane is still committing,
         * before the deadline; null as soon as no lane commits (nothing to wait for).
         */
        private Call nextWhileAnotherCommits(long deadline) throws InterruptedException {
            while (committing.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                Call call =
                        dequeued(
                                waiting.poll(
                                        Math.min(left, FILL_CHECK_NANOS), TimeUnit.NANOSECONDS));
                if (call != null) {
                    return call;
                }
            }
            return null;
        }

        private void abandon(List<Call> calls, Status status, Exception cause) {
            fail(calls, status, cause);
            closeClient(Duration.ZERO);
        }

        private void closeClient(Duration timeout) {
            if (client != null) {
                try {
                    client.close(timeout);
                } catch (KafkaException e) {
                    LOG.debug("closing producer {}: {}", transactionalId, e.toString());
                }
                client = null;
            }
        }
    }

    private void succeed(List<Call> calls, List<Future<RecordMetadata>> sends, String batchId) {
        int next = 0;
        for (Call call : calls) {
            List<RecordMetadata> written = new ArrayList<>(call.orders.size());
            for (OutgoingOrder order : call.orders) {
                RecordMetadata metadata = acknowledged(sends.get(next++));
                order.succeeded(metadata.partition(), metadata.offset());
                written.add(metadata);
            }
            call.result.complete(
                    new Delivered(
                            DeliveryMode.EXACTLY_ONCE,
                            true,
                            DeliveryModes.COMMITTED,
                            batchId,
                            written));
        }
    }

    /**
     * Already done: commitTransaction returned only after every send of the transaction completed.
     */
    private static RecordMetadata acknowledged(Future<RecordMetadata> send) {
        try {
            return send.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "a record of a committed transaction failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void fail(List<Call> calls, Status status, Exception cause) {
        metrics.aborted();
        replies.execute(
                () -> {
                    for (Call call : calls) {
                        call.orders.forEach(order -> order.failed(cause));
                        call.result.completeExceptionally(status.asRuntimeException());
                    }
                });
    }

    private void failWaiting(Status status) {
        List<Call> calls = new ArrayList<>();
        waiting.drainTo(calls);
        calls.forEach(this::dequeued);
        if (!calls.isEmpty()) {
            RuntimeException cause = status.asRuntimeException();
            replies.execute(
                    () ->
                            calls.forEach(
                                    call -> {
                                        call.orders.forEach(order -> order.failed(cause));
                                        call.result.completeExceptionally(cause);
                                    }));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
    }
}
