package dev.exactlyonce.lab.runner;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.network.NetworkLinks;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.DatabaseDurability;
import dev.exactlyonce.testkit.EmbeddedPostgresDatabase;
import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The whole pipeline on one machine: a KRaft Kafka cluster of 1 or 3 nodes, each its own supervised
 * child JVM ({@link KafkaCluster}), PostgreSQL 17 (its own server process, run from this JVM), and
 * the producer, consumer replicas and query as supervised child JVMs from their runnable jars.
 * {@link #close()} stops the services (SIGTERM, then SIGKILL), then Kafka and PostgreSQL, and
 * deletes a temporary data directory.
 */
public final class Lab implements AutoCloseable {

    static final Duration SERVING_TIMEOUT = Duration.ofMinutes(3);

    private final LabSettings settings;
    private final Progress progress;
    private final Path dataDir;
    private final boolean temporaryData;
    private final KafkaCluster kafka;
    private final EmbeddedPostgresDatabase postgres;

    /**
     * This run's control-plane token, in {@link #controlTokenFile()}; every service gets it as
     * APP_CONTROL_TOKEN.
     */
    private final ControlToken controlToken;

    /** With --network-faults: the proxies every service's connections pass through; else null. */
    private NetworkLinks network;

    private final List<SupervisedProcess> children = new CopyOnWriteArrayList<>();
    // Ctrl-C at any moment, even during start-up, stops what was started: no orphan JVMs or
    // PostgreSQL
    private final Thread shutdownHook = new Thread(this::close, "lab-shutdown");
    private volatile boolean closed;

    private Lab(LabSettings settings, Progress progress) throws IOException {
        this.settings = settings;
        this.progress = progress;
        this.temporaryData = settings.dataDir() == null;
        this.dataDir =
                temporaryData
                        ? Files.createTempDirectory("exactly-once-lab-")
                        : settings.dataDir().toAbsolutePath();
        this.kafka =
                new KafkaCluster(
                        settings.kafkaTopology(),
                        dataDir.resolve("kafka"),
                        settings.transactionVersion(),
                        dataDir.resolve("logs"),
                        progress);
        this.postgres = database(settings, dataDir);
        Files.createDirectories(dataDir);
        this.controlToken = ControlTokenFile.create(controlTokenFile());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * The lab's PostgreSQL (not started): its port, data in {@code <data>/postgres}, durability.
     */
    static EmbeddedPostgresDatabase database(LabSettings settings, Path dataDir) {
        return new EmbeddedPostgresDatabase(
                settings.postgresPort(),
                dataDir.resolve("postgres"),
                settings.databaseDurability());
    }

    /**
     * fsync and synchronous_commit as the running server reports them; refuses a server that does
     * not do what was asked.
     */
    static DatabaseDurability.Observed checkDurability(EmbeddedPostgresDatabase postgres) {
        DatabaseDurability.Observed observed = postgres.observedDurability();
        if (!observed.label().equals(postgres.durability().label())) {
            throw new IllegalStateException(
                    "PostgreSQL was asked for "
                            + postgres.durability().label()
                            + " but reports "
                            + observed);
        }
        return observed;
    }

    /** Starts everything and returns once every service's gRPC health answers SERVING. */
    public static Lab start(LabSettings settings, Progress progress) throws Exception {
        settings.jars().requireAll();
        requireFreePorts(settings);
        Lab lab = new Lab(settings, progress);
        try {
            lab.startAll();
            return lab;
        } catch (Exception e) {
            lab.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        long start = System.nanoTime();
        progress.line(
                "data directory %s%s",
                dataDir, temporaryData ? " (temporary; --data DIR keeps it)" : "");
        progress.line(
                "control token (new for this run, owner-only) in %s: control calls need"
                        + " -H \"authorization: Bearer $(cat %s)\"",
                controlTokenFile(), controlTokenFile());
        int brokers = settings.brokers();
        progress.line(
                "starting Kafka %s: %d KRaft node%s (broker + controller each)%s",
                KafkaCluster.kafkaVersion(),
                brokers,
                brokers == 1 ? "" : "s",
                brokers == 1
                        ? ", replication factor 1"
                        : ", replication factor "
                                + brokers
                                + ", min.insync.replicas "
                                + settings.kafkaTopology().minInsyncReplicas()
                                + ", unclean leader election off");
        kafka.start(progress);
        // PostgreSQL starts while the Kafka JVMs boot
        progress.step("starting PostgreSQL on " + postgres.jdbcUrl(), "ready", postgres::start);
        progress.line(
                "PostgreSQL durability: %s, as SHOW fsync / SHOW synchronous_commit report it%s",
                checkDurability(postgres),
                postgres.durability() == DatabaseDurability.DURABLE
                        ? ""
                        : " (--database-durability unsafe-fast: a power loss can lose committed orders)");
        if (settings.networkFaults()) {
            network =
                    NetworkLinks.start(
                            settings.kafkaTopology(),
                            postgres.port(),
                            settings.ports().producerGrpc(),
                            0);
            progress.line(
                    "fault proxies on every link: %s (drill clients reach the producer at 127.0.0.1:%d)",
                    String.join(", ", network.names()), network.clientProducerPort());
        }
        List<SupervisedProcess> planned =
                childSpecs().stream().map(spec -> new SupervisedProcess(spec, progress)).toList();
        // all at once, while the Kafka JVMs still boot: on 2 cores start-up is JVMs loading
        // classes, and the services wait for Kafka and the topics by themselves, as pods do (a
        // service that starts before Kafka stays NOT_SERVING and goes on: StartsBeforeKafkaTest);
        // the consumer's Flyway migration runs meanwhile
        for (SupervisedProcess child : planned) {
            if (closed) {
                throw new IllegalStateException("stopped during start-up");
            }
            children.add(child);
            child.start();
            progress.line(
                    "started %s (pid %d) gRPC 127.0.0.1:%d, management 127.0.0.1:%d, log %s",
                    child.name(),
                    child.pid(),
                    child.spec().grpcPort(),
                    child.spec().managementPort(),
                    child.spec().logFile());
        }
        progress.step(
                "waiting for Kafka on " + kafka.bootstrapServers(),
                "ready",
                () -> {
                    kafka.awaitBrokers(SERVING_TIMEOUT);
                    return null;
                });
        progress.line("Kafka features: %s", KafkaCluster.describe(kafka.finalizedFeatures()));
        progress.line(
                "consumer group protocol of consumer and billing: %s",
                settings.groupProtocol().kafkaName());
        progress.step(
                "creating topics "
                        + Topics.ORDERS
                        + ", "
                        + Topics.DLQ
                        + ", "
                        + Topics.INVOICES
                        + ", "
                        + Topics.BILLING_DLQ
                        + ", "
                        + Topics.SETTINGS,
                "done",
                () -> {
                    createTopics();
                    return null;
                });
        for (SupervisedProcess child : children) {
            progress.step(
                    "waiting for " + child.name() + " to answer SERVING",
                    "SERVING",
                    () -> {
                        awaitServing(child, SERVING_TIMEOUT);
                        return null;
                    });
        }
        progress.line("ready in %s", Progress.seconds(System.nanoTime() - start));
    }

    private void createTopics() throws InterruptedException, TimeoutException {
        Topics.ensureExist(kafka.admin(), 30_000);
    }

    List<ChildSpec> childSpecs() {
        ServicePorts ports = settings.ports();
        List<ChildSpec> specs = new ArrayList<>();
        specs.add(
                spec(
                        "producer",
                        "producer-0",
                        ports.producerGrpc(),
                        ports.producerManagement(),
                        Map.of()));
        for (int i = 0; i < settings.consumers(); i++) {
            specs.add(
                    spec(
                            "consumer",
                            "consumer-" + i,
                            ports.consumerGrpc(i),
                            ports.consumerManagement(i),
                            groupProtocol()));
        }
        for (int i = 0; i < settings.billingReplicas(); i++) {
            specs.add(
                    spec(
                            "billing",
                            "billing-" + i,
                            ports.billingGrpc(i),
                            ports.billingManagement(i),
                            groupProtocol()));
        }
        specs.add(
                spec(
                        "query",
                        "query-0",
                        ports.queryGrpc(),
                        ports.queryManagement(),
                        Map.of("PRODUCER_ADDRESS", "127.0.0.1:" + ports.producerGrpc())));
        return specs;
    }

    /** What the consumer and billing replicas (the group consumers) read: app.group-protocol. */
    private Map<String, String> groupProtocol() {
        return Map.of("APP_GROUP_PROTOCOL", settings.groupProtocol().kafkaName());
    }

    private ChildSpec spec(
            String service,
            String podName,
            int grpcPort,
            int managementPort,
            Map<String, String> extra) {
        Map<String, String> env = new LinkedHashMap<>();
        if (settings.networkFaults()) {
            env.put(
                    "KAFKA_BOOTSTRAP_SERVERS",
                    settings.kafkaTopology()
                            .linkBootstrapServers(NetworkLinks.kafkaListener(podName)));
            // only the consumer and the query use PostgreSQL
            env.put(
                    "JDBC_URL",
                    !NetworkLinks.usesPostgres(podName)
                            ? postgres.jdbcUrl()
                            : postgres.jdbcUrl()
                                    .replace(
                                            ":" + postgres.port() + "/",
                                            ":"
                                                    + NetworkLinks.postgresProxyPort(
                                                            postgres.port(), podName)
                                                    + "/"));
        } else {
            env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
            env.put("JDBC_URL", postgres.jdbcUrl());
        }
        env.put("JDBC_USER", EmbeddedPostgresDatabase.USER);
        env.put("JDBC_PASSWORD", EmbeddedPostgresDatabase.PASSWORD);
        env.put("GRPC_HOST", "127.0.0.1");
        env.put("GRPC_PORT", String.valueOf(grpcPort));
        env.put("MANAGEMENT_HOST", "127.0.0.1");
        env.put("MANAGEMENT_PORT", String.valueOf(managementPort));
        env.put("POD_NAME", podName);
        // the environment, not the command line: ps shows command lines to every user
        env.put("APP_CONTROL_TOKEN", controlToken.value());
        env.put(
                "OTEL_TRACES_EXPORTER",
                System.getenv().getOrDefault("OTEL_TRACES_EXPORTER", "none"));
        // glibc gives each busy thread its own malloc arena (up to 8 per core). On the query
        // service 55 MiB
        // of its 491 MiB resident were outside what the JVM tracks (heap 256 + metaspace 53 +
        // direct buffers
        // 53 + code 20 MiB committed); in the full bench its peak was 522 MiB with the default, 472
        // with two
        env.put("MALLOC_ARENA_MAX", System.getenv().getOrDefault("MALLOC_ARENA_MAX", "2"));
        env.putAll(extra);
        return new ChildSpec(
                podName,
                ChildSpec.jar(settings.jars().jar(service)),
                settings.jvmOptions(),
                env,
                grpcPort,
                managementPort,
                dataDir.resolve("logs").resolve(podName + ".log"));
    }

    /** Waits until the child's gRPC health for the whole server ("") answers SERVING. */
    public static void awaitServing(SupervisedProcess child, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        try (ServiceProbe probe =
                new ServiceProbe(child.spec().grpcPort(), child.spec().managementPort())) {
            while (System.nanoTime() < deadline) {
                try {
                    ServingStatus status = probe.health("");
                    if (status == ServingStatus.SERVING) {
                        return;
                    }
                    last = status.name();
                } catch (StatusRuntimeException e) {
                    last = e.getStatus().getCode().name();
                }
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException(
                child.name()
                        + " did not answer SERVING within "
                        + Progress.seconds(timeout)
                        + " (last: "
                        + last
                        + "); see "
                        + child.spec().logFile());
    }

    private static void requireFreePorts(LabSettings settings) {
        Map<Integer, String> wanted = new LinkedHashMap<>();
        settings.kafkaTopology()
                .ports()
                .forEach(port -> wanted.put(port, "Kafka (--kafka-port and up)"));
        if (settings.networkFaults()) {
            for (int i = 0; i < ServicePorts.MAX_CONSUMERS; i++) {
                wanted.put(
                        NetworkLinks.postgresProxyPort(settings.postgresPort(), "consumer-" + i),
                        "PostgreSQL fault proxy");
            }
            wanted.put(
                    NetworkLinks.postgresProxyPort(settings.postgresPort(), "query-0"),
                    "PostgreSQL fault proxy");
        }
        wanted.put(settings.postgresPort(), "PostgreSQL (--postgres-port)");
        ServicePorts ports = settings.ports();
        wanted.put(ports.producerGrpc(), "producer gRPC (--grpc-base-port)");
        wanted.put(ports.producerManagement(), "producer management (--management-base-port)");
        for (int i = 0; i < settings.consumers(); i++) {
            wanted.put(ports.consumerGrpc(i), "consumer-" + i + " gRPC (--grpc-base-port)");
            wanted.put(
                    ports.consumerManagement(i),
                    "consumer-" + i + " management (--management-base-port)");
        }
        for (int i = 0; i < settings.billingReplicas(); i++) {
            wanted.put(ports.billingGrpc(i), "billing-" + i + " gRPC (--grpc-base-port)");
            wanted.put(
                    ports.billingManagement(i),
                    "billing-" + i + " management (--management-base-port)");
        }
        wanted.put(ports.queryGrpc(), "query gRPC (--grpc-base-port)");
        wanted.put(ports.queryManagement(), "query management (--management-base-port)");
        List<String> busy = new ArrayList<>();
        wanted.forEach(
                (port, what) -> {
                    if (port != 0 && !isFree(port)) {
                        busy.add(port + " for " + what);
                    }
                });
        if (!busy.isEmpty()) {
            throw new IllegalStateException(
                    "port(s) in use: "
                            + String.join(", ", busy)
                            + " — is another lab or the kind cluster running? Stop it or choose other ports.");
        }
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public Endpoints endpoints() {
        return Endpoints.of("127.0.0.1", settings.ports(), settings.consumers());
    }

    /**
     * What the drill's clients use: the producer through the client-producer fault proxy when there
     * is one.
     */
    public Endpoints clientEndpoints() {
        Endpoints direct = endpoints();
        return network == null
                ? direct
                : new Endpoints(
                        direct.host(),
                        network.clientProducerPort(),
                        direct.consumerPorts(),
                        direct.billingPort(),
                        direct.queryPort());
    }

    public List<SupervisedProcess> children() {
        return List.copyOf(children);
    }

    public SupervisedProcess child(String name) {
        return children.stream()
                .filter(c -> c.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no child " + name));
    }

    /** The first billing replica's process (the one the lab's clients talk to). */
    public SupervisedProcess billing() {
        return child("billing-0");
    }

    /** Every billing replica's process. */
    public List<SupervisedProcess> billings() {
        return children.stream().filter(c -> c.name().startsWith("billing-")).toList();
    }

    public List<SupervisedProcess> consumers() {
        return children.stream().filter(c -> c.name().startsWith("consumer-")).toList();
    }

    public LabSettings settings() {
        return settings;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** This run's control-plane token (what {@link #controlTokenFile()} holds). */
    public ControlToken controlToken() {
        return controlToken;
    }

    /**
     * The owner-only file with this run's control-plane token: {@code <data
     * directory>/control-token}.
     */
    public Path controlTokenFile() {
        return ControlTokenFile.in(dataDir);
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    /** The fault proxies; present only with --network-faults. */
    public java.util.Optional<NetworkLinks> network() {
        return java.util.Optional.ofNullable(network);
    }

    public KafkaCluster kafka() {
        return kafka;
    }

    public EmbeddedPostgresDatabase postgres() {
        return postgres;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long start = System.nanoTime();
        progress.line(
                "stopping the services (SIGTERM, SIGKILL after %s)",
                Progress.seconds(settings.stopGrace()));
        // in parallel: each JVM's graceful shutdown takes a moment, and they do not depend on each
        // other
        List<Thread> stoppers =
                children.stream()
                        .map(
                                child ->
                                        new Thread(
                                                () -> child.stop(settings.stopGrace()),
                                                "stop-" + child.name()))
                        .toList();
        stoppers.forEach(Thread::start);
        for (Thread stopper : stoppers) {
            try {
                stopper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (network != null) {
            network.close();
        }
        progress.line("stopping Kafka and PostgreSQL");
        kafka.stop(settings.stopGrace());
        postgres.stop();
        try {
            // the token opened services that are gone now; the next run makes a new one
            Files.deleteIfExists(controlTokenFile());
        } catch (IOException e) {
            progress.line("could not delete %s: %s", controlTokenFile(), e.getMessage());
        }
        if (temporaryData) {
            // the services' logs stay for a look after the run; Kafka's and PostgreSQL's data go
            deleteRecursively(dataDir.resolve("kafka"));
            deleteRecursively(dataDir.resolve("postgres"));
            progress.line("logs kept in %s", dataDir.resolve("logs"));
        } else {
            progress.line("data kept in %s", dataDir);
        }
        progress.line("stopped in %s", Progress.seconds(System.nanoTime() - start));
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // closed by the hook itself
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}
