package dev.exactlyonce.lab.drill;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.network.NetworkLinks;
import dev.exactlyonce.lab.runner.KafkaCluster;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.Pauses;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.SupervisedProcess;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;

/**
 * Faults in the lab: kill -9 of a child (the lab's supervisor restarts it), kill -STOP and -CONT of
 * a consumer or billing replica, stop/start of the database on the same port and data, and the
 * broker faults, each aimed through Kafka's admin API at the node that matters at that moment. A
 * fault is over when every Kafka replica is back in sync and every service answers SERVING again.
 */
public final class LabFaults implements PipelineFaults {

    /**
     * How long TWO_BROKERS_DOWN keeps the two nodes down: past the clients' deadline and several
     * transactions.
     */
    static final Duration TWO_DOWN_FOR = Duration.ofSeconds(10);

    /** The consumer's group id (its default; the lab does not change it). */
    static final String CONSUMER_GROUP = "orders-consumer";

    /**
     * The producer's transactional.ids start with this (lane 0: order-producer-POD, lane k: "-k").
     */
    static final String PRODUCER_TRANSACTIONAL_ID_PREFIX = "order-producer-";

    /** Longer than the clients' per-call deadline: every call in flight fails and is retried. */
    static final Duration PRODUCER_CUT_FOR = Duration.ofSeconds(12);

    /**
     * Longer than the consumer's session timeout (10 s): the group rebalances without the
     * partitioned member.
     */
    static final Duration CONSUMER_PARTITION_FOR = Duration.ofSeconds(15);

    /**
     * How long a pause lasts: past the group's session timeout (10 s, under both protocols: the
     * client's for classic, the broker's for consumer) and billing's transaction timeout (15 s), so
     * the member is removed and billing's open transaction is aborted by its coordinator while the
     * process sleeps; it wakes up as a zombie.
     */
    static final Duration PAUSE_FOR = Duration.ofSeconds(20);

    static final Duration REPLIES_DROPPED_FOR = Duration.ofSeconds(2);
    static final Duration QUERY_CUT_FOR = Duration.ofSeconds(5);
    static final Duration SLOW_FOR = Duration.ofSeconds(5);
    static final Duration ADDED_LATENCY = Duration.ofMillis(200);

    private final Lab lab;

    public LabFaults(Lab lab) {
        this.lab = lab;
    }

    @Override
    public String consumerInstances() {
        return lab.consumers().stream()
                .map(c -> c.name() + "#" + c.restarts())
                .collect(Collectors.joining(","));
    }

    @Override
    public void awaitConsumerRestarted(String before, Duration timeout)
            throws InterruptedException {
        long start = System.nanoTime();
        await("a consumer restart")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () ->
                                !consumerInstances().equals(before)
                                        && lab.consumers().stream().allMatch(c -> c.pid() > 0));
        for (SupervisedProcess consumer : lab.consumers()) {
            Lab.awaitServing(consumer, timeout.minusNanos(System.nanoTime() - start));
        }
    }

    @Override
    public String billingInstances() {
        return lab.billings().stream()
                .map(b -> b.name() + "#" + b.restarts())
                .collect(Collectors.joining(","));
    }

    @Override
    public void awaitBillingRestarted(String before, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        await("a billing restart")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () ->
                                !billingInstances().equals(before)
                                        && lab.billings().stream().allMatch(b -> b.pid() > 0));
        for (SupervisedProcess billing : lab.billings()) {
            Lab.awaitServing(billing, timeout.minusNanos(System.nanoTime() - start));
        }
    }

    @Override
    public String inject(Fault fault, Duration timeout) throws Exception {
        KafkaCluster kafka = lab.kafka();
        String what =
                switch (fault) {
                    case SIGKILL_CONSUMER -> kill(randomOf(lab.consumers()), timeout);
                    case SIGKILL_PRODUCER -> kill(lab.child("producer-0"), timeout);
                    // with several replicas the survivors take the killed one's partitions over:
                    // a rebalance
                    case SIGKILL_BILLING -> kill(randomOf(lab.billings()), timeout);
                    case PAUSE_CONSUMER -> pause(randomOf(lab.consumers()));
                    case PAUSE_BILLING -> pause(randomOf(lab.billings()));
                    case RESTART_POSTGRES -> {
                        lab.postgres().stop();
                        lab.postgres().start();
                        yield "restarted PostgreSQL";
                    }
                    case SIGKILL_PARTITION_LEADER -> {
                        int partition =
                                ThreadLocalRandom.current().nextInt(Topics.ORDERS_PARTITIONS);
                        int leader =
                                askKafka(
                                        "the leader of " + Topics.ORDERS + "-" + partition,
                                        timeout,
                                        () -> kafka.leaderOf(Topics.ORDERS, partition),
                                        id -> id > 0);
                        yield kill(kafka.node(leader), timeout)
                                + ", leader of "
                                + Topics.ORDERS
                                + "-"
                                + partition;
                    }
                    case SIGKILL_TRANSACTION_COORDINATOR -> {
                        String transactionalId =
                                askKafka(
                                        "a producer transaction",
                                        timeout,
                                        () -> openProducerTransaction(kafka),
                                        id -> true);
                        int coordinator =
                                askKafka(
                                        "the coordinator of " + transactionalId,
                                        timeout,
                                        () ->
                                                kafka.admin()
                                                        .describeTransactions(
                                                                List.of(transactionalId))
                                                        .description(transactionalId)
                                                        .get()
                                                        .coordinatorId(),
                                        id -> id > 0);
                        yield kill(kafka.node(coordinator), timeout)
                                + ", coordinator of "
                                + transactionalId;
                    }
                    case SIGKILL_GROUP_COORDINATOR -> {
                        int coordinator =
                                askKafka(
                                        "the coordinator of group " + CONSUMER_GROUP,
                                        timeout,
                                        () ->
                                                kafka.admin()
                                                        .describeConsumerGroups(
                                                                List.of(CONSUMER_GROUP))
                                                        .describedGroups()
                                                        .get(CONSUMER_GROUP)
                                                        .get()
                                                        .coordinator()
                                                        .id(),
                                        id -> id > 0);
                        yield kill(kafka.node(coordinator), timeout)
                                + ", coordinator of group "
                                + CONSUMER_GROUP;
                    }
                    case ROLLING_RESTART_KAFKA -> {
                        List<String> bounced = new ArrayList<>();
                        for (SupervisedProcess node : kafka.nodes()) {
                            int restarts = node.restarts();
                            long pid = node.terminate();
                            await(node.name() + " back")
                                    .atMost(timeout)
                                    .pollInterval(Duration.ofMillis(100))
                                    .until(() -> node.restarts() > restarts && node.pid() > 0);
                            // the next node goes only once this one is a full replica again, as a
                            // careful operator does
                            awaitInSync(kafka, timeout);
                            bounced.add("kill -TERM " + pid + " (" + node.name() + ")");
                        }
                        yield "rolling restart: " + String.join(", ", bounced);
                    }
                    case TWO_BROKERS_DOWN -> {
                        List<SupervisedProcess> nodes = new ArrayList<>(kafka.nodes());
                        if (nodes.size() < 3) {
                            throw new IllegalArgumentException(fault + " needs --brokers 3");
                        }
                        Collections.shuffle(nodes);
                        List<SupervisedProcess> down = nodes.subList(0, 2);
                        List<String> killed = new ArrayList<>();
                        try {
                            for (SupervisedProcess node : down) {
                                node.hold();
                                killed.add("kill -9 " + node.kill() + " (" + node.name() + ")");
                            }
                            Thread.sleep(TWO_DOWN_FOR.toMillis());
                        } finally {
                            down.forEach(SupervisedProcess::release);
                        }
                        for (SupervisedProcess node : down) {
                            await(node.name() + " back")
                                    .atMost(timeout)
                                    .pollInterval(Duration.ofMillis(100))
                                    .until(() -> node.pid() > 0);
                        }
                        yield String.join(", ", killed)
                                + ", both kept down "
                                + TWO_DOWN_FOR.toSeconds()
                                + " s";
                    }
                    case NET_CUT_PRODUCER_KAFKA ->
                            cut(List.of("producer-kafka"), PRODUCER_CUT_FOR, true);
                    case NET_LOST_REPLIES -> lostReplies(List.of("client-producer"));
                    case NET_COMMIT_UNKNOWN_POSTGRES ->
                            lostReplies(linksOf("consumer-", "-postgres"));
                    case NET_PARTITION_CONSUMER_KAFKA ->
                            cut(List.of("consumer-0-kafka"), CONSUMER_PARTITION_FOR, false);
                    case NET_CUT_QUERY ->
                            cut(List.of("query-0-postgres", "query-kafka"), QUERY_CUT_FOR, true);
                    case NET_SLOW_POSTGRES -> slow(linksOf("", "-postgres"));
                    case NET_SLOW_KAFKA -> slow(linksOf("", "-kafka"));
                    case POISON_ORDER -> PoisonOrder.write(kafka.bootstrapServers());
                    case HANGING_TRANSACTION -> hangingTransaction(kafka, timeout);
                    default ->
                            throw new IllegalArgumentException(fault + " is not an external fault");
                };
        if (Fault.BROKER.contains(fault)) {
            awaitInSync(kafka, timeout);
        }
        // readiness follows the dependencies: every service answers SERVING once it is whole again
        for (SupervisedProcess child : lab.children()) {
            Lab.awaitServing(child, timeout);
        }
        return what;
    }

    /**
     * A transaction left open on every partition of orders, watched through the query service
     * (reads need no token), then aborted ({@link HangingTransaction}).
     */
    private String hangingTransaction(KafkaCluster kafka, Duration timeout) throws Exception {
        ManagedChannel channel =
                PipelineClients.channel(lab.endpoints().host(), lab.endpoints().queryPort());
        try {
            return HangingTransaction.leaveOpenThenAbort(
                    kafka.bootstrapServers(),
                    kafka.admin(),
                    () ->
                            QueryServiceGrpc.newBlockingStub(channel)
                                    .withDeadlineAfter(30, TimeUnit.SECONDS),
                    timeout);
        } finally {
            channel.shutdownNow();
        }
    }

    private NetworkLinks network() {
        return lab.network()
                .orElseThrow(
                        () ->
                                new IllegalStateException(
                                        "network faults need the lab's fault proxies (--network-faults)"));
    }

    /**
     * The links whose names start and end so, e.g. ("consumer-", "-postgres"); only those of
     * running replicas.
     */
    private List<String> linksOf(String prefix, String suffix) {
        return network().names().stream()
                .filter(n -> n.startsWith(prefix) && n.endsWith(suffix))
                .filter(
                        n ->
                                !n.startsWith("consumer-")
                                        || lab.consumers().stream()
                                                .anyMatch(c -> n.startsWith(c.name() + "-")))
                .toList();
    }

    /**
     * A partition of {@code links} for {@code duration}: both directions silent, established
     * connections included. With {@code reset} the connections are then closed with RST, as after a
     * middlebox lost their state; without it they resume, the way TCP survives a short partition —
     * a zombie wakes up.
     */
    private String cut(List<String> links, Duration duration, boolean reset)
            throws InterruptedException {
        NetworkLinks network = network();
        links.forEach(network::partition);
        Thread.sleep(duration.toMillis());
        if (reset) {
            links.forEach(network::reset);
        }
        links.forEach(network::heal);
        return "partitioned "
                + String.join(", ", links)
                + " for "
                + duration.toSeconds()
                + " s"
                + (reset ? ", then reset" : ", then healed");
    }

    /**
     * Requests still arrive and take effect, their answers do not; then every connection is reset:
     * unknown outcomes.
     */
    private String lostReplies(List<String> links) throws InterruptedException {
        NetworkLinks network = network();
        links.forEach(network::dropReplies);
        Thread.sleep(REPLIES_DROPPED_FOR.toMillis());
        links.forEach(network::reset);
        links.forEach(network::heal);
        return "dropped the replies on "
                + String.join(", ", links)
                + " for "
                + REPLIES_DROPPED_FOR.toSeconds()
                + " s, then reset";
    }

    private String slow(List<String> links) throws InterruptedException {
        NetworkLinks network = network();
        links.forEach(l -> network.delay(l, ADDED_LATENCY));
        try {
            Thread.sleep(SLOW_FOR.toMillis());
        } finally {
            links.forEach(l -> network.delay(l, Duration.ZERO));
        }
        return "+"
                + ADDED_LATENCY.toMillis()
                + " ms each way on "
                + String.join(", ", links)
                + " for "
                + SLOW_FOR.toSeconds()
                + " s";
    }

    /**
     * Asks Kafka's admin API which node to strike, again until it answers. Right after a broker
     * restarted, a request to it can fail with a disconnect or a timeout; listTransactions then
     * even fails with IllegalArgumentException "Unexpected key set: [BrokerKey(brokerId=...)]"
     * (Kafka 4.3.1: after a disconnect AdminApiDriver hands the per-broker key back to the lookup,
     * which AllBrokersStrategy only accepts as ANY_BROKER). None of that is the fault under test.
     */
    private static <T> T askKafka(
            String what, Duration timeout, Callable<T> question, Predicate<T> answered) {
        return await(what)
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(question, answered);
    }

    /**
     * A transactional.id of the producer with a transaction open right now (or, failing that, any
     * of its ids).
     */
    private static String openProducerTransaction(KafkaCluster kafka) throws Exception {
        List<TransactionListing> producers =
                kafka.admin().listTransactions().all().get().stream()
                        .filter(
                                t ->
                                        t.transactionalId()
                                                .startsWith(PRODUCER_TRANSACTIONAL_ID_PREFIX))
                        .toList();
        return producers.stream()
                .filter(t -> t.state() == TransactionState.ONGOING)
                .findAny()
                .or(() -> producers.stream().findAny())
                .map(TransactionListing::transactionalId)
                .orElseThrow(
                        () ->
                                new IllegalStateException(
                                        "the producer has no transactional.id yet (not in exactly-once?)"));
    }

    /** Every node answers on its own port and is in sync again ({@link KafkaCluster#inSync}). */
    private static void awaitInSync(KafkaCluster kafka, Duration timeout) {
        await("every Kafka replica in sync")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(500))
                .until(kafka::fullyReplicated);
    }

    private static SupervisedProcess randomOf(List<SupervisedProcess> replicas) {
        return replicas.get(ThreadLocalRandom.current().nextInt(replicas.size()));
    }

    /** kill -STOP, {@link #PAUSE_FOR}, kill -CONT: the same process goes on, no restart. */
    private static String pause(SupervisedProcess victim) throws IOException, InterruptedException {
        long pid = victim.pid();
        if (pid < 0) {
            // between an exit and its restart: nothing to pause now
            throw new IllegalStateException(victim.name() + " is not running: nothing to pause");
        }
        Pauses.stop(List.of(pid));
        try {
            Thread.sleep(PAUSE_FOR.toMillis());
        } finally {
            Pauses.resume(List.of(pid));
        }
        return "kill -STOP "
                + pid
                + " ("
                + victim.name()
                + "), kill -CONT after "
                + PAUSE_FOR.toSeconds()
                + " s";
    }

    private static String kill(SupervisedProcess victim, Duration timeout)
            throws InterruptedException {
        int restarts = victim.restarts();
        long pid = victim.kill();
        await(victim.name() + " restarted")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> victim.restarts() > restarts && victim.pid() > 0);
        return "kill -9 " + pid + " (" + victim.name() + ")";
    }
}
