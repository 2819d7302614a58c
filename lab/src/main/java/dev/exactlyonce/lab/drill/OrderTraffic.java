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
 * A few concurrent clients placing {@code total} orders with PlaceOrder; counts what the producer
 * acknowledged (the call returned OK), which is what the audit must find stored.
 */
final class OrderTraffic {

    private final ManagedChannel channel;
    private final int clients;
    private final long total;
    private final SampleOrders orders;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean done;

    OrderTraffic(ManagedChannel channel, int clients, long total, SampleOrders orders) {
        this.channel = channel;
        this.clients = clients;
        this.total = total;
        this.orders = orders;
    }

    /** Sends every order and returns once all calls finished. */
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
        for (long n = next.getAndIncrement(); n < total; n = next.getAndIncrement()) {
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

    long total() {
        return total;
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
