package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.lab.runner.RetryingOrderClient;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A few concurrent clients placing at least {@code planned} orders, one per PlaceOrder call or
 * {@code ordersPerCall} per PlaceOrderBatch call, retrying like real clients ({@link
 * RetryingOrderClient}: UNAVAILABLE, DEADLINE_EXCEEDED and ABORTED again with the same order ids);
 * counts the orders the producer acknowledged (any attempt returned OK), which is what the audit
 * must find stored, and keeps the calls it did not, whose orders must be all stored or none. While
 * held open the clients go on past {@code planned}: a drill's strikes then all fall inside the
 * stream, however long each recovery takes.
 */
final class OrderTraffic {

    private final ManagedChannel channel;
    private final int clients;
    private final long planned;
    private final int ordersPerCall;
    private final SampleOrders orders;
    private final RetryingOrderClient retrying;
    private final AtomicLong nextCall = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final Queue<List<PlaceOrderRequest>> unacknowledgedCalls =
            new ConcurrentLinkedQueue<>();
    private volatile boolean heldOpen;
    private volatile boolean done;

    /**
     * @param ordersPerCall 1: PlaceOrder; more: PlaceOrderBatch (exactly-once only: one transaction
     *     per batch)
     * @param retrying the retry policy and its counter; {@link
     *     RetryingOrderClient.Policy#noRetries} for a client that must not send anything twice
     */
    OrderTraffic(
            ManagedChannel channel,
            int clients,
            long planned,
            int ordersPerCall,
            SampleOrders orders,
            RetryingOrderClient retrying) {
        this.channel = channel;
        this.clients = clients;
        this.planned = planned;
        this.ordersPerCall = ordersPerCall;
        this.orders = orders;
        this.retrying = retrying;
    }

    /**
     * Keeps the clients sending past the planned count until {@link #release()}; call before {@link
     * #run()}.
     */
    void holdOpen() {
        heldOpen = true;
    }

    /** Lets the clients stop once the planned count is sent. */
    void release() {
        heldOpen = false;
    }

    /** Sends the planned orders (more while held open) and returns once all calls finished. */
    void run() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Thread client = new Thread(this::sendUntilAllTaken, "drill-client-" + i);
            threads.add(client);
            client.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        done = true;
    }

    private void sendUntilAllTaken() {
        try {
            sendCalls();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sendCalls() throws InterruptedException {
        // wait-for-ready: while a killed producer restarts, an attempt waits for it (up to its
        // deadline)
        OrderServiceGrpc.OrderServiceBlockingStub stub =
                OrderServiceGrpc.newBlockingStub(channel).withWaitForReady();
        for (long call = nextCall.getAndIncrement();
                call * ordersPerCall < planned || heldOpen;
                call = nextCall.getAndIncrement()) {
            List<PlaceOrderRequest> placed = new ArrayList<>(ordersPerCall);
            for (int i = 0; i < ordersPerCall; i++) {
                placed.add(orders.order(call * ordersPerCall + i));
            }
            PlaceOrderBatchRequest batch =
                    PlaceOrderBatchRequest.newBuilder().addAllOrders(placed).build();
            RetryingOrderClient.Outcome<?> outcome =
                    retrying.call(
                            deadline ->
                                    ordersPerCall == 1
                                            ? stub.withDeadline(deadline).placeOrder(placed.get(0))
                                            : stub.withDeadline(deadline).placeOrderBatch(batch));
            if (outcome.acknowledged()) {
                acknowledged.addAndGet(ordersPerCall);
            } else {
                // no attempt acknowledged: the client knows, so the audit does not count it as lost
                unacknowledgedCalls.add(placed);
            }
        }
    }

    long planned() {
        return planned;
    }

    /** Orders in the calls made so far: acknowledged or failed. */
    long sent() {
        return acknowledged.get() + failed();
    }

    /** The orders of each call that failed. */
    List<List<PlaceOrderRequest>> unacknowledgedCalls() {
        return List.copyOf(unacknowledgedCalls);
    }

    long acknowledged() {
        return acknowledged.get();
    }

    /** Orders in the calls that failed. */
    long failed() {
        return unacknowledgedCalls.stream().mapToLong(List::size).sum();
    }

    /**
     * Attempts sent again after UNAVAILABLE, DEADLINE_EXCEEDED or ABORTED, with the same order ids.
     */
    long retries() {
        return retrying.retries();
    }

    boolean done() {
        return done;
    }
}
