package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.grpc.v1.ListOrdersRequest;
import dev.exactlyonce.grpc.v1.ListOrdersResponse;
import dev.exactlyonce.grpc.v1.StoredOrder;
import dev.exactlyonce.lab.chaos.Reads.StoredRow;
import dev.exactlyonce.lab.runner.Kubectl;
import dev.exactlyonce.lab.runner.NodePausers;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.Progress;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The chart on kind ({@code lab chaos --against HOST}): faults with kubectl ({@link
 * KubectlStrikes}), the stored rows through the query service's {@code ListOrders} (PostgreSQL is
 * not published on the host), both topics through Kafka's console consumer in a broker pod ({@link
 * ConsoleTopicReader}).
 */
final class KindChaosTarget implements ChaosTarget {

    /** The console consumer in the chart's Kafka image, with a heap small enough for the pod. */
    static final List<String> CONSOLE_CONSUMER =
            List.of(
                    "env",
                    "KAFKA_HEAP_OPTS=-Xms32m -Xmx64m",
                    "KAFKA_JVM_PERFORMANCE_OPTS=-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
                    "/opt/kafka/bin/kafka-console-consumer.sh",
                    "--bootstrap-server",
                    "localhost:9092");

    private final Kubectl kubectl;
    private final PipelineClients clients;
    private NodePausers pausers;

    KindChaosTarget(Kubectl kubectl, PipelineClients clients) {
        this.kubectl = kubectl;
        this.clients = clients;
    }

    @Override
    public Strikes strikes(Set<FaultClass> classes, Progress progress) throws Exception {
        if (classes.contains(FaultClass.NETWORK)) {
            throw new IllegalArgumentException(
                    "--against: network faults need the lab's fault proxies, which do not exist on"
                            + " kind; give --faults from "
                            + KubectlStrikes.CLASSES.stream().map(FaultClass::label).toList());
        }
        NodePausers started = null;
        if (classes.contains(FaultClass.PAUSE)) {
            started = new NodePausers(kubectl);
            try {
                started.start();
                progress.line(
                        "pauses: a privileged pod with the node's PID namespace per node (%s)",
                        NodePausers.IMAGE);
            } catch (IOException e) {
                started.close();
                started = null;
                progress.line(
                        "pauses are not possible on this cluster, the run has none: %s",
                        e.getMessage());
            }
        }
        pausers = started;
        return new KubectlStrikes(kubectl, pausers, progress);
    }

    @Override
    public TopicReader reader(String prefix) {
        return new ConsoleTopicReader(
                arguments -> {
                    List<String> pods = kubectl.readyPods("kafka");
                    if (pods.isEmpty()) {
                        throw new IOException("no Kafka pod is ready");
                    }
                    List<String> exec = new ArrayList<>(List.of("exec", pods.get(0), "--"));
                    exec.addAll(CONSOLE_CONSUMER);
                    exec.addAll(arguments);
                    return kubectl.command(exec.toArray(String[]::new));
                },
                prefix);
    }

    @Override
    public List<StoredRow> storedRows(String prefix) {
        List<StoredRow> rows = new ArrayList<>();
        String page = "";
        do {
            ListOrdersResponse response =
                    clients.query()
                            .listOrders(
                                    ListOrdersRequest.newBuilder()
                                            .setLimit(500)
                                            .setPageToken(page)
                                            .build());
            for (StoredOrder order : response.getOrdersList()) {
                if (order.getOrderId().startsWith(prefix)) {
                    rows.add(
                            new StoredRow(
                                    order.getOrderId(),
                                    order.getMessageId(),
                                    order.getCustomerId()));
                }
            }
            page = response.getNextPageToken();
        } while (!page.isEmpty());
        return rows;
    }

    @Override
    public void awaitServing(Duration timeout) {
        for (String component : KubectlStrikes.SERVICES) {
            kubectl.awaitReady(component, timeout);
        }
    }

    @Override
    public void close() {
        if (pausers != null) {
            pausers.close();
        }
    }
}
