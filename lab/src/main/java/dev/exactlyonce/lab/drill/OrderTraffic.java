package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A few concurrent clients placing at least {@code planned} orders with PlaceOrder; counts what the
 * producer acknowledged (the call returned OK), which is what the audit must find stored. While held
 * open the clients go on past {@code planned}: a drill's strikes then all fall inside the stream,
 * however long each recovery takes.
 */
final class OrderTraffic {

    private final ManagedChannel channel;
    private final int clients;
    private final long planned;
    private final SampleOrders orders;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean heldOpen;
    private volatile boolean done;

    OrderTraffic(ManagedChannel channel, int clients, long planned, SampleOrders orders) {
        this.channel = channel;
        this.clients = clients;
        this.planned = planned;
        this.orders = orders;
    }

    /** Keeps the clients sending past the planned count until {@link #release()}; call before {@link #run()}. */
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
        OrderServiceGrpc.OrderServiceBlockingStub stub = OrderServiceGrpc.newBlockingStub(channel);
        for (long n = next.getAndIncrement(); n < planned || heldOpen; n = next.getAndIncrement()) {
            try {
                // wait-for-ready: while a killed producer restarts, calls wait for it instead of failing at once
                stub.withWaitForReady().withDeadlineAfter(30, TimeUnit.SECONDS).placeOrder(orders.order(n));
                acknowledged.incrementAndGet();
            } catch (StatusRuntimeException e) {
                // not acknowledged: the client knows, so the audit does not count it as lost
                failed.incrementAndGet();
            }
        }
    }

    long planned() {
        return planned;
    }

    /** Calls made so far: acknowledged or failed. */
    long sent() {
        return acknowledged.get() + failed.get();
    }

    long acknowledged() {
        return acknowledged.get();
    }

    long failed() {
        return failed.get();
    }

    boolean done() {
        return done;
    }
}
