package dev.exactlyonce.producer;

import dev.exactlyonce.contract.OrderContract;
import dev.exactlyonce.contract.OrderContract.Violation;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetProducerConfigRequest;
import dev.exactlyonce.grpc.v1.GetProducerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderBatchResponse;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.ProducerConfig;
import dev.exactlyonce.grpc.v1.ProducerStats;
import dev.exactlyonce.grpc.v1.SimulateDuplicateRequest;
import dev.exactlyonce.grpc.v1.SimulateDuplicateResponse;
import dev.exactlyonce.grpc.v1.StreamOrdersResponse;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.producer.DeliveryModes.Delivered;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * exactlyonce.v1.OrderService. Handlers validate, hand the records to {@link OrderProducer} and
 * reply from the completion: no gRPC thread waits for Kafka.
 */
@Singleton
public class OrderGrpcService extends OrderServiceGrpc.OrderServiceImplBase {

    static final int MAX_BATCH = 1000;
    static final int MAX_COPIES = 10;
    static final int DEFAULT_COPIES = 3;

    /** StreamOrders: orders in flight per stream before we stop reading from the client. */
    static final int STREAM_WINDOW = 4096;

    /**
     * StreamOrders: bytes of orders in flight per stream before we stop reading from the client.
     */
    static final long STREAM_WINDOW_BYTES = 4L << 20;

    private static final int STREAM_ERRORS_SHOWN = 10;

    private final OrderProducer producer;
    private final OrderRecords records;
    private final ProducerMetrics metrics;

    public OrderGrpcService(OrderProducer producer, OrderRecords records, ProducerMetrics metrics) {
        this.producer = producer;
        this.records = records;
        this.metrics = metrics;
    }

    @Override
    public void placeOrder(PlaceOrderRequest request, StreamObserver<PlaceOrderResponse> reply) {
        long started = System.nanoTime();
        Violation broken = OrderContract.check(request);
        if (broken != null) {
            reply.onError(broken.asException());
            return;
        }
        OutgoingOrder order = records.prepare(request);
        producer.send(List.of(order), false)
                .whenComplete(
                        (delivered, error) -> {
                            if (error != null) {
                                reply.onError(failed(error, 1));
                                return;
                            }
                            metrics.acknowledged(delivered.mode(), List.of(order), started);
                            reply.onNext(response(order, delivered, 0, started));
                            reply.onCompleted();
                        });
    }

    @Override
    public void placeOrderBatch(
            PlaceOrderBatchRequest request, StreamObserver<PlaceOrderBatchResponse> reply) {
        long started = System.nanoTime();
        int count = request.getOrdersCount();
        if (count < 1 || count > MAX_BATCH) {
            reply.onError(
                    new Violation("orders", "must hold 1.." + MAX_BATCH + " orders, got " + count)
                            .asException());
            return;
        }
        List<OutgoingOrder> orders = new ArrayList<>(count);
        Violation broken = checkBatch(request);
        if (broken != null) {
            reply.onError(broken.asException());
            return;
        }
        for (PlaceOrderRequest order : request.getOrdersList()) {
            orders.add(records.prepare(order));
        }
        producer.send(orders, true)
                .whenComplete(
                        (delivered, error) -> {
                            if (error != null) {
                                reply.onError(failed(error, count));
                                return;
                            }
                            metrics.acknowledged(delivered.mode(), orders, started);
                            PlaceOrderBatchResponse.Builder response =
                                    PlaceOrderBatchResponse.newBuilder()
                                            .setBatchId(delivered.batchId())
                                            .setStatus(delivered.status());
                            for (int i = 0; i < count; i++) {
                                response.addOrders(response(orders.get(i), delivered, i, started));
                            }
                            reply.onNext(response.setLatencyMs(millisSince(started)).build());
                            reply.onCompleted();
                        });
    }

    /**
     * Every order valid, and no idempotency key (customer and order id) used for two different
     * orders: one batch is one transaction, and two orders under one key in it cannot both be what
     * the key means. The same order twice (a key repeated with the same content) is allowed: it is
     * stored once.
     */
    static Violation checkBatch(PlaceOrderBatchRequest request) {
        Map<List<String>, Integer> firstByKey = new HashMap<>();
        for (int i = 0; i < request.getOrdersCount(); i++) {
            PlaceOrderRequest order = request.getOrders(i);
            Violation broken = OrderContract.check(order);
            if (broken != null) {
                return broken.within("orders[" + i + "]");
            }
            if (order.getOrderId().isEmpty()) {
                continue;
            }
            Integer first =
                    firstByKey.putIfAbsent(List.of(order.getCustomerId(), order.getOrderId()), i);
            if (first != null && !sameContent(request.getOrders(first), order)) {
                return new Violation(
                        "orders[" + i + "].order_id",
                        "repeats orders["
                                + first
                                + "]'s key (same customer_id and order_id) for a different order");
            }
        }
        return null;
    }

    private static boolean sameContent(PlaceOrderRequest a, PlaceOrderRequest b) {
        return a.getItemsList().equals(b.getItemsList())
                && a.getTotalAmount() == b.getTotalAmount();
    }

    @Override
    public void simulateDuplicate(
            SimulateDuplicateRequest request, StreamObserver<SimulateDuplicateResponse> reply) {
        long started = System.nanoTime();
        if (!request.hasOrder()) {
            reply.onError(new Violation("order", "is required").asException());
            return;
        }
        int copies = request.hasCopies() ? request.getCopies() : DEFAULT_COPIES;
        if (copies < 1 || copies > MAX_COPIES) {
            reply.onError(
                    new Violation("copies", "must be 1.." + MAX_COPIES + ", got " + copies)
                            .asException());
            return;
        }
        Violation broken = OrderContract.check(request.getOrder());
        if (broken != null) {
            reply.onError(broken.within("order").asException());
            return;
        }
        // the same message, sent again as a new record: what a producer retry after a lost ack does
        OutgoingOrder first = records.prepare(request.getOrder());
        List<OutgoingOrder> sends = new ArrayList<>(copies);
        sends.add(first);
        for (int i = 1; i < copies; i++) {
            sends.add(records.prepare(request.getOrder(), first.orderId(), first.messageId()));
        }
        producer.send(sends, false)
                .whenComplete(
                        (delivered, error) -> {
                            if (error != null) {
                                reply.onError(failed(error, copies));
                                return;
                            }
                            // one order (one message id) delivered `copies` times: the audit counts
                            // it once
                            metrics.acknowledged(delivered.mode(), sends, started);
                            SimulateDuplicateResponse.Builder response =
                                    SimulateDuplicateResponse.newBuilder()
                                            .setOrderId(first.orderId())
                                            .setMessageId(first.messageId())
                                            .setCopies(copies);
                            for (int i = 0; i < copies; i++) {
                                response.addSends(response(sends.get(i), delivered, i, started));
                            }
                            reply.onNext(response.build());
                            reply.onCompleted();
                        });
    }

    @Override
    public StreamObserver<PlaceOrderRequest> streamOrders(
            StreamObserver<StreamOrdersResponse> reply) {
        ServerCallStreamObserver<StreamOrdersResponse> call =
                (ServerCallStreamObserver<StreamOrdersResponse>) reply;
        call.disableAutoRequest();
        call.request(STREAM_WINDOW);
        return new OrderStream(call);
    }

    /**
     * One StreamOrders call: each valid order is sent on its own (in exactly-once mode it joins the
     * group commit); invalid ones are counted and skipped. The summary is sent when the client has
     * finished and every order is written. Flow control bounds a stream's memory: at most {@link
     * #STREAM_WINDOW} orders and about {@link #STREAM_WINDOW_BYTES} bytes of them are in flight
     * (past the bytes, the next message is asked for only when an order in flight completes).
     */
    private final class OrderStream implements StreamObserver<PlaceOrderRequest> {

        private final ServerCallStreamObserver<StreamOrdersResponse> call;
        private final long started = System.nanoTime();
        private final AtomicLong received = new AtomicLong();
        private final AtomicLong accepted = new AtomicLong();
        private final AtomicLong rejected = new AtomicLong();
        private final AtomicInteger inFlight = new AtomicInteger();
        private final AtomicLong inFlightBytes = new AtomicLong();

        /** Messages not asked for yet because the bytes in flight were over the window. */
        private final AtomicInteger owed = new AtomicInteger();

        private final List<String> errors = new ArrayList<>();
        private final AtomicReference<Status> failure = new AtomicReference<>();
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile DeliveryMode mode = DeliveryMode.DELIVERY_MODE_UNSPECIFIED;
        private volatile boolean clientDone;

        OrderStream(ServerCallStreamObserver<StreamOrdersResponse> call) {
            this.call = call;
        }

        @Override
        public void onNext(PlaceOrderRequest request) {
            long index = received.getAndIncrement();
            Violation broken = OrderContract.check(request);
            if (broken != null) {
                rejected.incrementAndGet();
                synchronized (errors) {
                    if (errors.size() < STREAM_ERRORS_SHOWN) {
                        errors.add(index + ": " + broken);
                    }
                }
                call.request(1);
                return;
            }
            long orderStarted = System.nanoTime();
            long bytes = request.getSerializedSize();
            inFlight.incrementAndGet();
            inFlightBytes.addAndGet(bytes);
            List<OutgoingOrder> order = List.of(records.prepare(request));
            producer.send(order, false)
                    .whenComplete(
                            (delivered, error) -> {
                                if (error != null) {
                                    failure.compareAndSet(
                                            null, Status.fromThrowable(failed(error, 1)));
                                } else {
                                    mode = delivered.mode();
                                    metrics.acknowledged(delivered.mode(), order, orderStarted);
                                    accepted.incrementAndGet();
                                }
                                inFlightBytes.addAndGet(-bytes);
                                if (inFlight.decrementAndGet() == 0 && clientDone) {
                                    finish();
                                } else if (!finished.get()) {
                                    askForMore();
                                }
                            });
        }

        /**
         * One more message for the one completed, and those owed, while the bytes in flight are
         * under the window.
         */
        private void askForMore() {
            if (inFlightBytes.get() > STREAM_WINDOW_BYTES) {
                owed.incrementAndGet();
                return;
            }
            call.request(1 + owed.getAndSet(0));
        }

        @Override
        public void onError(Throwable t) {
            // the client went away; the orders already accepted complete on their own
            finished.set(true);
        }

        @Override
        public void onCompleted() {
            clientDone = true;
            if (inFlight.get() == 0) {
                finish();
            }
        }

        private void finish() {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            Status failed = failure.get();
            if (failed != null) {
                call.onError(
                        failed.augmentDescription(
                                        accepted.get()
                                                + " of "
                                                + received.get()
                                                + " orders were written before the failure")
                                .asRuntimeException());
                return;
            }
            double durationMs = millisSince(started);
            StreamOrdersResponse.Builder summary =
                    StreamOrdersResponse.newBuilder()
                            .setReceived(received.get())
                            .setAccepted(accepted.get())
                            .setRejected(rejected.get())
                            .setDeliveryMode(
                                    mode == DeliveryMode.DELIVERY_MODE_UNSPECIFIED
                                            ? producer.config().getDeliveryMode()
                                            : mode)
                            .setDurationMs(durationMs)
                            .setOrdersPerSecond(
                                    durationMs > 0 ? accepted.get() * 1000.0 / durationMs : 0);
            synchronized (errors) {
                summary.addAllErrors(errors);
            }
            call.onNext(summary.build());
            call.onCompleted();
        }
    }

    @Override
    public void getProducerConfig(
            GetProducerConfigRequest request, StreamObserver<ProducerConfig> reply) {
        reply.onNext(producer.config());
        reply.onCompleted();
    }

    @Override
    public void updateProducerConfig(
            UpdateProducerConfigRequest request, StreamObserver<ProducerConfig> reply) {
        try {
            reply.onNext(producer.update(request));
            reply.onCompleted();
        } catch (StatusRuntimeException e) {
            reply.onError(e);
        }
    }

    @Override
    public void getProducerStats(
            GetProducerStatsRequest request, StreamObserver<ProducerStats> reply) {
        reply.onNext(metrics.stats(producer.podName()));
        reply.onCompleted();
    }

    private static PlaceOrderResponse response(
            OutgoingOrder order, Delivered delivered, int index, long started) {
        RecordMetadata written = delivered.records().get(index);
        return PlaceOrderResponse.newBuilder()
                .setOrderId(order.orderId())
                .setMessageId(order.messageId())
                .setDeliveryMode(delivered.mode())
                .setTransactional(delivered.transactional())
                .setPartition(written == null ? -1 : written.partition())
                .setOffset(written == null ? -1 : written.offset())
                .setLatencyMs(millisSince(started))
                .setTraceId(order.traceId())
                .setStatus(delivered.status())
                .setBatchId(delivered.batchId())
                .build();
    }

    /**
     * The status for the client; Kafka failures (not refusals such as FAILED_PRECONDITION) are
     * counted.
     */
    private StatusRuntimeException failed(Throwable error, int records) {
        Status status = Status.fromThrowable(error);
        if (status.getCode() == Status.Code.UNKNOWN) {
            status = Status.INTERNAL.withDescription(String.valueOf(error.getMessage()));
        }
        if (status.getCode() != Status.Code.FAILED_PRECONDITION) {
            metrics.failed(producer.config().getDeliveryMode(), records);
        }
        return status.asRuntimeException();
    }

    private static double millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000.0;
    }
}
