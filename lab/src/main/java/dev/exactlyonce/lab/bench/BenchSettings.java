package dev.exactlyonce.lab.bench;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.time.Duration;
import java.util.List;

/**
 * @param orders orders per run; when 0, each run lasts {@code duration}
 * @param clients concurrent PlaceOrder calls in flight
 * @param streams concurrent StreamOrders streams, each sending {@code streamBatch} orders
 * @param channels gRPC connections the load is spread over
 * @param backgroundLoad busy threads running beside the lab ({@link BackgroundLoad}); every result
 *     names them
 */
public record BenchSettings(
        List<DeliveryMode> modes,
        List<Workload> workloads,
        int clients,
        int streams,
        int streamBatch,
        long orders,
        Duration duration,
        Duration warmup,
        int channels,
        boolean record,
        int backgroundLoad) {

    public BenchSettings {
        if (clients < 1 || streams < 1 || streamBatch < 1 || channels < 1) {
            throw new IllegalArgumentException(
                    "clients, streams, stream-batch and channels must be >= 1");
        }
        if (backgroundLoad < 0) {
            throw new IllegalArgumentException("--background-load must be 0 or more");
        }
        if (orders < 0 || (orders == 0 && duration.isZero())) {
            throw new IllegalArgumentException("give --orders N or a non-zero --duration");
        }
        modes = List.copyOf(modes);
        workloads = List.copyOf(workloads);
    }

    /** The same, unary PlaceOrder only, with {@code n} clients: one level of a load curve. */
    public BenchSettings placeOrdersFrom(int n) {
        return new BenchSettings(
                modes,
                List.of(Workload.PLACE_ORDER),
                n,
                streams,
                streamBatch,
                orders,
                duration,
                warmup,
                channels,
                record,
                backgroundLoad);
    }

    Budget budget() {
        return orders > 0 ? Budget.orders(orders) : Budget.duration(duration);
    }

    String describe(Workload workload) {
        return workload == Workload.PLACE_ORDER
                ? "PlaceOrder x" + clients + " clients"
                : "StreamOrders x" + streams + " streams of " + streamBatch;
    }
}
