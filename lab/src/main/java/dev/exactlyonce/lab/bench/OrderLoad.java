package dev.exactlyonce.lab.bench;

import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc.OrderServiceStub;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.StreamOrdersResponse;
import dev.exactlyonce.lab.runner.SampleOrders;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The load generator: closed-loop virtual clients on async stubs (a client sends its next order when the
 * previous call returned), spread over a few channels, so that one JVM can offer far more orders per
 * second than the pipeline takes. Unary: {@code clients} PlaceOrder calls in flight. Stream: {@code clients}
 * StreamOrders streams in flight, each sending {@code batch} orders and waiting for the summary.
 */
final class OrderLoad {

    private final List<ManagedChannel> channels;
    private final Workload workload;
    private final int clients;
    private final int batch;
    private final SampleOrders orders;

    OrderLoad(List<ManagedChannel> channels, Workload workload, int clients, int batch, SampleOrders orders) {
        this.channels = channels;
        this.workload = workload;
        this.clients = clients;
        this.batch = batch;
        this.orders = orders;
    }

    /** Offers orders until the budget is spent and returns when every call in flight has finished. */
    void run(Budget budget, LoadMeter meter) throws InterruptedException {
        CountDownLatch finished = new CountDownLatch(clients);
        for (int i = 0; i < clients; i++) {
            OrderServiceStub stub = OrderServiceGrpc.newStub(channels.get(i % channels.size()));
            Runnable client = workload == Workload.PLACE_ORDER
                    ? new UnaryClient(stub, budget, meter, finished) : new StreamClient(stub, budget, meter, finished);
            client.run();
        }
        finished.await();
    }

    /** What every virtual client holds: its stub, the shared budget and meter, and the latch it counts down when done. */
    private abstract static class VirtualClient implements Runnable {
        final OrderServiceStub stub;
        final Budget budget;
        final LoadMeter meter;
        final CountDownLatch finished;

        VirtualClient(OrderServiceStub stub, Budget budget, LoadMeter meter, CountDownLatch finished) {
            this.stub = stub;
            this.budget = budget;
            this.meter = meter;
            this.finished = finished;
        }
    }

    private final class UnaryClient extends VirtualClient {

        UnaryClient(OrderServiceStub stub, Budget budget, LoadMeter meter, CountDownLatch finished) {
            super(stub, budget, meter, finished);
        }

        /** Sends one order; its completion sends the next (on the channel's thread, not recursively). */
        @Override
        public void run() {
            long n = budget.take();
            if (n < 0) {
                finished.countDown();
                return;
            }
            long start = System.nanoTime();
            stub.withDeadlineAfter(60, TimeUnit.SECONDS).placeOrder(orders.order(n), new StreamObserver<>() {
                @Override
                public void onNext(PlaceOrderResponse response) {
                }

                @Override
                public void onError(Throwable t) {
                    meter.failed(1);
                    run();
                }

                @Override
                public void onCompleted() {
                    meter.acknowledged(1, System.nanoTime() - start);
                    run();
                }
            });
        }
    }

    private final class StreamClient extends VirtualClient {

        StreamClient(OrderServiceStub stub, Budget budget, LoadMeter meter, CountDownLatch finished) {
            super(stub, budget, meter, finished);
        }

        /** One stream of up to {@code batch} orders; the summary starts the next stream. */
        @Override
        public void run() {
            long first = budget.take();
            if (first < 0) {
                finished.countDown();
                return;
            }
            long start = System.nanoTime();
            long[] sent = {0};
            StreamObserver<PlaceOrderRequest> requests = stub.withDeadlineAfter(5, TimeUnit.MINUTES)
                    .streamOrders(new StreamObserver<>() {
                        @Override
                        public void onNext(StreamOrdersResponse summary) {
                            meter.acknowledged(summary.getAccepted(), System.nanoTime() - start);
                            meter.failed(sent[0] - summary.getAccepted());
                        }

                        @Override
                        public void onError(Throwable t) {
                            meter.failed(sent[0]);
                            run();
                        }

                        @Override
                        public void onCompleted() {
                            run();
                        }
                    });
            for (long n = first; n >= 0; n = sent[0] < batch ? budget.take() : -1) {
                requests.onNext(orders.order(n));
                sent[0]++;
            }
            requests.onCompleted();
        }
    }
}
