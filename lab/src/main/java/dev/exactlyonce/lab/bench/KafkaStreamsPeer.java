package dev.exactlyonce.lab.bench;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.PipelineModes;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.RetryingOrderClient;
import dev.exactlyonce.lab.runner.SampleOrders;
import dev.exactlyonce.lab.runner.SupervisedProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.awaitility.Awaitility;

/**
 * {@code lab bench --peer kafka-streams}: billing's hand-written exactly-once stage and the same
 * work done by Kafka Streams ({@link KafkaStreamsBilling}), side by side on the same backlog.
 *
 * <ol>
 *   <li>The pipeline in exactly-once; billing stopped (SIGTERM, held down by its supervisor).
 *   <li>The backlog: {@code --orders} orders (20,000 for a {@code --duration} bench) through the
 *       producer's StreamOrders, stored by the consumer, so that only the stage measured works.
 *   <li>Billing started again: it drains the backlog into {@code invoices}, watched by an {@link
 *       InvoiceDrain} (first to last invoice, read_committed, its process's CPU).
 *   <li>The Kafka Streams app, a JVM of its own with the services' JVM options, its group's offsets
 *       set to the backlog's start: it drains the same orders into {@value #OUTPUT}.
 *   <li>Both outputs checked against billing's own function: one invoice per order, none lost, none
 *       duplicated, every field equal.
 * </ol>
 *
 * Both stages start as fresh JVMs, so both drains run on a cold JIT; start-up is before the first
 * invoice and outside the window.
 */
public final class KafkaStreamsPeer {

    public static final String OUTPUT = "invoices-kafka-streams";

    private final Lab lab;
    private final PipelineClients clients;
    private final BenchSettings settings;
    private final Progress progress;

    public KafkaStreamsPeer(
            Lab lab, PipelineClients clients, BenchSettings settings, Progress progress) {
        this.lab = lab;
        this.clients = clients;
        this.settings = settings;
        this.progress = progress;
    }

    public PeerResult run() throws Exception {
        long orders = settings.orders() > 0 ? settings.orders() : DatabaseCeiling.DEFAULT_ROWS;
        progress.line(
                "peer kafka-streams: billing and a Kafka Streams app (exactly_once_v2, one stream"
                        + " thread) drain the same backlog of %,d orders",
                orders);
        PipelineModes modes = new PipelineModes(clients);
        modes.awaitDrained(Bench.STORE_TIMEOUT);
        modes.apply(DeliveryMode.EXACTLY_ONCE);
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                lab.bootstrapServers()))) {
            stopBilling();
            try {
                Map<TopicPartition, Long> start = Backlog.committedEnds(admin, Topics.ORDERS);
                loadBacklog(orders);
                modes.awaitStored(Bench.STORE_TIMEOUT);
                Backlog backlog =
                        Backlog.read(
                                lab.bootstrapServers(),
                                Topics.ORDERS,
                                start,
                                Backlog.committedEnds(admin, Topics.ORDERS));
                progress.line("backlog: %,d orders on %s", backlog.orders(), Topics.ORDERS);

                InvoiceDrain.Result billing;
                try (InvoiceDrain drain =
                        new InvoiceDrain(lab.bootstrapServers(), Topics.INVOICES)) {
                    lab.billings().forEach(SupervisedProcess::release);
                    billing = drain.measure("billing", backlog, this::billingCpuNanos);
                }
                progress.line("billing: %s", describe(billing));
                InvoiceDrain.Result kafkaStreams =
                        drainWithKafkaStreams(
                                lab.bootstrapServers(),
                                admin,
                                backlog,
                                OUTPUT,
                                lab.settings().jvmOptions(),
                                lab.dataDir(),
                                progress);
                progress.line("Kafka Streams: %s", describe(kafkaStreams));
                return new PeerResult(
                        BackgroundLoad.describe(settings.backgroundLoad()), billing, kafkaStreams);
            } finally {
                // whatever happened, billing is not left held down
                lab.billings().forEach(SupervisedProcess::release);
            }
        }
    }

    /**
     * The Kafka Streams side alone: the app as a child JVM (its log and state in {@code workDir}),
     * its consumer group placed at the backlog's start, its output watched until it has drained the
     * backlog; the app is stopped before returning.
     */
    static InvoiceDrain.Result drainWithKafkaStreams(
            String bootstrapServers,
            Admin admin,
            Backlog backlog,
            String output,
            List<String> jvmOptions,
            Path workDir,
            Progress progress)
            throws Exception {
        String applicationId = "kafka-streams-peer-" + System.currentTimeMillis();
        createLike(admin, backlog.topic(), output);
        // a Kafka Streams app's consumer group is its application.id: start where billing started
        admin.alterConsumerGroupOffsets(
                        applicationId,
                        backlog.start().entrySet().stream()
                                .collect(
                                        Collectors.toMap(
                                                Map.Entry::getKey,
                                                e -> new OffsetAndMetadata(e.getValue()))))
                .all()
                .get();
        Path log = workDir.resolve("logs").resolve("kafka-streams-peer.log");
        try (InvoiceDrain drain = new InvoiceDrain(bootstrapServers, output);
                ChildJvm app =
                        ChildJvm.start(
                                KafkaStreamsBilling.class,
                                jvmOptions,
                                Map.of("MALLOC_ARENA_MAX", "2"),
                                List.of(
                                        bootstrapServers,
                                        applicationId,
                                        backlog.topic(),
                                        output,
                                        workDir.resolve("kafka-streams-state").toString()),
                                log)) {
            progress.line(
                    "started the Kafka Streams app (pid %d) application.id %s, log %s",
                    app.pid(), applicationId, log);
            return drain.measure("Kafka Streams", backlog, app::cpuNanos);
        }
    }

    /** The output topic with the input's partitions and replication, unless it exists. */
    private static void createLike(Admin admin, String input, String output)
            throws ExecutionException, InterruptedException {
        TopicDescription like =
                admin.describeTopics(List.of(input)).allTopicNames().get().get(input);
        try {
            admin.createTopics(
                            List.of(
                                    new NewTopic(
                                            output,
                                            Optional.of(like.partitions().size()),
                                            Optional.of(
                                                    (short)
                                                            like.partitions()
                                                                    .get(0)
                                                                    .replicas()
                                                                    .size()))))
                    .all()
                    .get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    /** SIGTERM (it leaves its group cleanly), and its supervisor holds it down until release. */
    private void stopBilling() {
        for (SupervisedProcess billing : lab.billings()) {
            billing.hold();
            billing.terminate();
        }
        Awaitility.await("billing stopped")
                .atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> lab.billings().stream().allMatch(b -> b.pid() == -1));
    }

    /** Orders with ids of their own through the producer (exactly-once StreamOrders). */
    private void loadBacklog(long orders) throws InterruptedException {
        LoadMeter meter = new LoadMeter();
        new OrderLoad(
                        List.of(clients.producerChannel()),
                        Workload.STREAM_ORDERS,
                        settings.streams(),
                        settings.streamBatch(),
                        new SampleOrders("bench-peer-" + System.currentTimeMillis()),
                        RetryingOrderClient.of(
                                Bench.retryPolicy(
                                        DeliveryMode.EXACTLY_ONCE, Workload.STREAM_ORDERS)))
                .run(Budget.orders(orders), meter);
        if (meter.failed() > 0) {
            throw new IllegalStateException(
                    meter.failed() + " backlog orders were not acknowledged");
        }
    }

    private long billingCpuNanos() {
        return lab.billings().stream()
                .filter(b -> b.pid() > 0)
                .mapToLong(
                        b ->
                                ProcessHandle.of(b.pid())
                                        .flatMap(p -> p.info().totalCpuDuration())
                                        .map(Duration::toNanos)
                                        .orElse(0L))
                .sum();
    }

    private static String describe(InvoiceDrain.Result r) {
        return String.format(
                Locale.ROOT,
                "%,d invoices (%,d distinct, %d lost, %d duplicated, %d differing), %,.0f/s over"
                        + " %.1f s, %.1f µs CPU per invoice",
                r.records(),
                r.distinct(),
                r.lost(),
                r.duplicated(),
                r.differing(),
                r.perSecond(),
                r.seconds(),
                r.cpuMicrosPerInvoice());
    }
}
