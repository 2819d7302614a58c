package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.lab.runner.RetryingOrderClient;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The chaos run's bounded load: a few client threads placing orders at {@code ordersPerSecond}
 * between them (a client that fell behind, e.g. waiting through a pause, does not catch up in a
 * burst), each order with a client-chosen id kept across the {@link RetryingOrderClient}'s retries.
 * Every call's start and end goes to the {@link History}.
 */
final class ChaosLoad {

    private final ManagedChannel channel;
    private final int clients;
    private final double ordersPerSecond;
    private final SampleOrders orders;
    private final RetryingOrderClient retrying;
    private final History history;
    private final AtomicLong next = new AtomicLong();
    private final LongAdder acknowledged = new LongAdder();
    private final Map<String, LongAdder> failedByCode = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;

    ChaosLoad(
            ManagedChannel channel,
            int clients,
            double ordersPerSecond,
            SampleOrders orders,
            RetryingOrderClient retrying,
            History history) {
        this.channel = channel;
        this.clients = clients;
        this.ordersPerSecond = ordersPerSecond;
        this.orders = orders;
        this.retrying = retrying;
        this.history = history;
    }

    void start() {
        for (int i = 0; i < clients; i++) {
            String name = "client-" + i;
            Thread t = new Thread(() -> send(name), "chaos-" + name);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops starting calls and waits for those in flight (and their retries) to end. */
    void stop() throws InterruptedException {
        stopping = true;
        for (Thread t : threads) {
            t.join();
        }
    }

    /** The orders so far: placed, acknowledged, and failed by their final status code. */
    record Totals(long placed, long acknowledged, Map<String, Long> failedByCode) {

        long failed() {
            return failedByCode.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Placed and not answered yet (waiting, or retrying through a fault). */
        long inFlight() {
            return placed - acknowledged - failed();
        }
    }

    Totals totals() {
        // answers first, then placed: an order is placed before it is answered, so in flight is
        // never negative
        long answeredOk = acknowledged.sum();
        Map<String, Long> failed = new TreeMap<>();
        failedByCode.forEach((code, count) -> failed.put(code, count.sum()));
        return new Totals(next.get(), answeredOk, failed);
    }

    private void send(String client) {
        OrderServiceGrpc.OrderServiceBlockingStub stub =
                OrderServiceGrpc.newBlockingStub(channel).withWaitForReady();
        long interval = (long) (clients * 1e9 / ordersPerSecond);
        long due = System.nanoTime();
        try {
            while (!stopping) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                due = Math.max(due + interval, System.nanoTime() - interval);
                PlaceOrderRequest order = orders.order(next.getAndIncrement());
                history.add(History.Event.invoke(history.now(), client, order.getOrderId()));
                RetryingOrderClient.Outcome<PlaceOrderResponse> outcome =
                        retrying.call(d -> stub.withDeadline(d).placeOrder(order));
                if (outcome.acknowledged()) {
                    acknowledged.increment();
                    PlaceOrderResponse r = outcome.response();
                    history.add(
                            History.Event.ok(
                                    history.now(),
                                    client,
                                    order.getOrderId(),
                                    r.getMessageId(),
                                    r.getPartition(),
                                    r.getOffset()));
                } else {
                    failedByCode
                            .computeIfAbsent(
                                    outcome.failure().getCode().name(), code -> new LongAdder())
                            .increment();
                    history.add(
                            History.Event.fail(
                                    history.now(),
                                    client,
                                    order.getOrderId(),
                                    outcome.failure().getCode().name()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
