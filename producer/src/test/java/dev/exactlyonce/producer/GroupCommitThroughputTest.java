package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.GetProducerStatsRequest;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.ProducerStats;
import dev.exactlyonce.grpc.v1.StreamOrdersResponse;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Not a test: a measurement, excluded from the default run. PlaceOrder throughput with 64
 * concurrent clients, exactly-once with group commit versus one transaction per call, in the same
 * run (same machine, same broker). Run it with {@code mvn -o -pl producer verify
 * -Dsurefire.excludedGroups=none -Dgroups=measurement -Dtest=GroupCommitThroughputTest}. Prints a
 * table and writes it to target/group-commit-throughput.txt; asserts nothing.
 */
@Tag("measurement")
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GroupCommitThroughputTest implements TestPropertyProvider {

    static final int CLIENTS = 64;
    static final long WARMUP_MS = Long.getLong("measure.warmup-ms", 3_000);
    static final long MEASURE_MS = Long.getLong("measure.duration-ms", 10_000);

    @Inject GrpcEmbeddedServer grpcServer;

    @Inject MeterRegistry registry;

    @Inject ProducerSettings properties;

    @Override
    public Map<String, String> getProperties() {
        var properties = new java.util.HashMap<>(TestInfrastructure.shared().micronautProperties());
        properties.putAll(ControlToken.TEST.serverProperties());
        return properties;
    }

    record Setup(String name, DeliveryMode mode, int maxRecords, int maxMs) {}

    @Test
    void measure() throws Exception {
        List<Setup> setups =
                List.of(
                        new Setup(
                                "exactly-once, group commit (1000 records / 2 ms)",
                                DeliveryMode.EXACTLY_ONCE,
                                1000,
                                2),
                        new Setup(
                                "exactly-once, one transaction per call",
                                DeliveryMode.EXACTLY_ONCE,
                                1,
                                0),
                        new Setup(
                                "at-least-once (no transactions), for reference",
                                DeliveryMode.AT_LEAST_ONCE,
                                1000,
                                5));
        List<String> table = new ArrayList<>();
        table.add(
                "transaction lanes: "
                        + properties.transactionLanes()
                        + " (-Dapp.producer.transaction-lanes=N)");
        table.add(
                String.format(
                        "%-50s %10s %9s %9s %12s %10s",
                        "PlaceOrder, " + CLIENTS + " concurrent clients",
                        "orders/s",
                        "p50 ms",
                        "p99 ms",
                        "records/tx",
                        "tx ms"));
        ManagedChannel channel =
                ManagedChannelBuilder.forAddress("127.0.0.1", grpcServer.getPort())
                        .usePlaintext()
                        .intercept(ControlToken.TEST)
                        .build();
        try {
            var stub = OrderServiceGrpc.newBlockingStub(channel);
            run(stub, WARMUP_MS); // JIT: the first setup must not pay for the warm-up of all
            for (Setup setup : setups) {
                stub.updateProducerConfig(
                        UpdateProducerConfigRequest.newBuilder()
                                .setDeliveryMode(setup.mode())
                                .setEnableTransactions(true)
                                .setGroupCommitMaxRecords(setup.maxRecords())
                                .setGroupCommitMaxMs(setup.maxMs())
                                .build());
                run(stub, WARMUP_MS);
                Timer transactionDuration = registry.get("producer.transaction.duration").timer();
                double busyBefore = transactionDuration.totalTime(TimeUnit.MILLISECONDS);
                ProducerStats before =
                        stub.getProducerStats(GetProducerStatsRequest.getDefaultInstance());
                Result result = run(stub, MEASURE_MS);
                ProducerStats after =
                        stub.getProducerStats(GetProducerStatsRequest.getDefaultInstance());
                long transactions =
                        after.getTransactionsCommitted() - before.getTransactionsCommitted();
                double busy = transactionDuration.totalTime(TimeUnit.MILLISECONDS) - busyBefore;
                table.add(
                        String.format(
                                "%-50s %10.0f %9.2f %9.2f %12s %10s",
                                setup.name(),
                                result.perSecond(),
                                result.percentile(0.50),
                                result.percentile(0.99),
                                transactions == 0
                                        ? "-"
                                        : String.format(
                                                "%.1f", (double) result.count / transactions),
                                transactions == 0
                                        ? "-"
                                        : String.format("%.1f", busy / transactions)));
            }
            table.add("");
            table.add(
                    String.format(
                            "%-50s %10s",
                            "StreamOrders, one stream of " + STREAM_ORDERS + " orders",
                            "orders/s"));
            for (Setup setup : List.of(setups.get(0), setups.get(2))) {
                stub.updateProducerConfig(
                        UpdateProducerConfigRequest.newBuilder()
                                .setDeliveryMode(setup.mode())
                                .setEnableTransactions(true)
                                .setGroupCommitMaxRecords(setup.maxRecords())
                                .setGroupCommitMaxMs(setup.maxMs())
                                .build());
                stream(channel, STREAM_ORDERS / 5);
                StreamOrdersResponse summary = stream(channel, STREAM_ORDERS);
                table.add(
                        String.format("%-50s %10.0f", setup.name(), summary.getOrdersPerSecond()));
            }
        } finally {
            channel.shutdownNow();
        }
        String report = String.join("\n", table);
        System.out.println(report);
        Files.writeString(Path.of("target", "group-commit-throughput.txt"), report + "\n");
    }

    static final int STREAM_ORDERS = 100_000;

    private static StreamOrdersResponse stream(ManagedChannel channel, int count) throws Exception {
        CompletableFuture<StreamOrdersResponse> summary = new CompletableFuture<>();
        var requests =
                (ClientCallStreamObserver<PlaceOrderRequest>)
                        OrderServiceGrpc.newStub(channel)
                                .streamOrders(OrderServiceTest.observer(summary));
        PlaceOrderRequest order = Orders.valid("measure-stream");
        for (int i = 0; i < count; i++) {
            while (!requests.isReady()) {
                Thread.onSpinWait(); // flow control: the server reads as fast as it writes to Kafka
            }
            requests.onNext(order);
        }
        requests.onCompleted();
        return summary.get(120, TimeUnit.SECONDS);
    }

    record Result(long count, long elapsedNanos, long[] latenciesMicros) {
        double perSecond() {
            return count * 1e9 / elapsedNanos;
        }

        double percentile(double p) {
            return latenciesMicros.length == 0
                    ? 0
                    : latenciesMicros[
                                    (int)
                                            Math.min(
                                                    latenciesMicros.length - 1,
                                                    p * latenciesMicros.length)]
                            / 1000.0;
        }
    }

    private static Result run(OrderServiceGrpc.OrderServiceBlockingStub stub, long durationMs)
            throws InterruptedException {
        PlaceOrderRequest order = Orders.valid("measure");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong failures = new AtomicLong();
        long[][] latencies = new long[CLIENTS][];
        int[] counts = new int[CLIENTS];
        CountDownLatch done = new CountDownLatch(CLIENTS);
        long started = System.nanoTime();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Thread thread =
                    new Thread(
                            () -> {
                                long[] mine = new long[1 << 16];
                                int n = 0;
                                while (running.get()) {
                                    long t0 = System.nanoTime();
                                    try {
                                        stub.placeOrder(order);
                                        if (n == mine.length) {
                                            mine = Arrays.copyOf(mine, n * 2);
                                        }
                                        mine[n++] = (System.nanoTime() - t0) / 1000;
                                    } catch (StatusRuntimeException e) {
                                        failures.incrementAndGet();
                                    }
                                }
                                latencies[client] = mine;
                                counts[client] = n;
                                done.countDown();
                            });
            thread.setDaemon(true);
            thread.start();
        }
        Thread.sleep(durationMs); // a measurement window, not a wait for a condition
        running.set(false);
        done.await(60, TimeUnit.SECONDS);
        long elapsed = System.nanoTime() - started;
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int at = 0;
        for (int c = 0; c < CLIENTS; c++) {
            System.arraycopy(latencies[c], 0, all, at, counts[c]);
            at += counts[c];
        }
        Arrays.sort(all);
        if (failures.get() > 0) {
            System.out.println(failures.get() + " calls failed");
        }
        return new Result(total, elapsed, all);
    }
}
