package dev.exactlyonce.lab.bench;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc.OrderServiceStub;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.StreamOrdersResponse;
import dev.exactlyonce.lab.runner.RetryingOrderClient;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The load generator: closed-loop virtual clients on async stubs (a client sends its next order
 * when the previous call returned), spread over a few channels, so that one JVM can offer far more
 * orders per second than the pipeline takes. Unary: {@code clients} PlaceOrder calls in flight.
 * Stream: {@code clients} StreamOrders streams in flight, each sending {@code batch} orders and
 * waiting for the summary. Calls are retried like a real client's ({@link RetryingOrderClient}),
 * with the same order ids.
 */
final class OrderLoad {

    private final List<ManagedChannel> channels;
    private final Workload workload;
    private final int clients;
    private final int batch;
    private final SampleOrders orders;
    private final RetryingOrderClient retrying;

    OrderLoad(
            List<ManagedChannel> channels,
            Workload workload,
            int clients,
            int batch,
            SampleOrders orders,
            RetryingOrderClient retrying) {
        this.channels = channels;
        this.workload = workload;
        this.clients = clients;
        this.batch = batch;
        this.orders = orders;
        this.retrying = retrying;
    }

    /** Attempts sent again with the same order ids (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED). */
    long retries() {
        return retrying.retries();
    }

    /**
     * Offers orders until the budget is spent and returns when every call in flight has finished.
     */
    void run(Budget budget, LoadMeter meter) throws InterruptedException {
        CountDownLatch finished = new CountDownLatch(clients);
        for (int i = 0; i < clients; i++) {
            OrderServiceStub stub = OrderServiceGrpc.newStub(channels.get(i % channels.size()));
            Runnable client =
                    workload == Workload.PLACE_ORDER
                            ? new UnaryClient(stub, budget, meter, finished)
                            : new StreamClient(stub, budget, meter, finished);
            client.run();
        }
        finished.await();
    }

    /**
     * What every virtual client holds: its stub, the shared budget and meter, and the latch it
     * counts down when done.
     */
    private abstract static class VirtualClient implements Runnable {
        final OrderServiceStub stub;
        final Budget budget;
        final LoadMeter meter;
        final CountDownLatch finished;

        VirtualClient(
                OrderServiceStub stub, Budget budget, LoadMeter meter, CountDownLatch finished) {
            this.stub = stub;
            this.budget = budget;
            this.meter = meter;
            this.finished = finished;
        }
    }

    private final class UnaryClient extends VirtualClient {

        UnaryClient(
                OrderServiceStub stub, Budget budget, LoadMeter meter, CountDownLatch finished) {
            super(stub, budget, meter, finished);
        }

        /**
         * Sends one order (retried with the same order id); its outcome sends the next (on a gRPC
         * or timer thread, not recursively). Latency is from the first attempt to the
         * acknowledgement, as a client sees it.
         */
        @Override
        public void run() {
            long n = budget.take();
            if (n < 0) {
                finished.countDown();
                return;
            }
            long start = System.nanoTime();
            PlaceOrderRequest order = orders.order(n);
            retrying.<PlaceOrderResponse>callAsync(
                    (deadline, answer) -> stub.withDeadline(deadline).placeOrder(order, answer),
                    outcome -> {
                        if (outcome.acknowledged()) {
                            meter.acknowledged(1, System.nanoTime() - start);
                        } else {
                            meter.failed(1);
                        }
                        run();
                    });
        }
    }

    private final class StreamClient extends VirtualClient {

        StreamClient(
                OrderServiceStub stub, Budget budget, LoadMeter meter, CountDownLatch finished) {
            super(stub, budget, meter, finished);
        }

        /**
         * One stream of up to {@code batch} orders; its outcome starts the next stream. A stream
         * that failed with a retryable status is sent again whole, with the same order ids: what
         * the first attempt wrote is absorbed by the dedup (exactly-once).
         */
        @Override
        public void run() {
            List<PlaceOrderRequest> streamed = new ArrayList<>(batch);
            for (long n = budget.take(); n >= 0; n = streamed.size() < batch ? budget.take() : -1) {
                streamed.add(orders.order(n));
            }
            if (streamed.isEmpty()) {
                finished.countDown();
                return;
            }
            long start = System.nanoTime();
            retrying.<StreamOrdersResponse>callAsync(
                    (deadline, answer) -> {
                        StreamObserver<PlaceOrderRequest> requests =
                                stub.withDeadline(deadline).streamOrders(answer);
                        streamed.forEach(requests::onNext);
                        requests.onCompleted();
                    },
                    outcome -> {
                        long accepted =
                                outcome.acknowledged() ? outcome.response().getAccepted() : 0;
                        if (accepted > 0) {
                            meter.acknowledged(accepted, System.nanoTime() - start);
                        }
                        meter.failed(streamed.size() - accepted);
                        run();
                    });
        }
    }
}
