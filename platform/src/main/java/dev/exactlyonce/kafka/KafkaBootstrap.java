package dev.exactlyonce.kafka;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Constructing a Kafka client when its bootstrap names may not resolve yet.
 *
 * <p>kafka-clients resolve {@code bootstrap.servers} in the constructor of every client ({@code
 * ClientUtils.parseAndValidateAddresses}) and throw {@code ConfigException: No resolvable bootstrap
 * urls given in bootstrap.servers} when not one name resolves; an unreachable but resolvable broker
 * is no problem for a constructor, the client retries on its own. On Kubernetes a broker pod's DNS
 * name resolves only once the pod has an IP, so a service that starts before Kafka can meet a list
 * in which nothing resolves. A constructor that throws during start-up ends the process; so every
 * client the services create at start-up goes through here: {@link #create} throws the retriable
 * {@link UnresolvableBootstrapException}, saying which names, instead, and {@link #await} retries
 * it with a capped backoff ({@value #FIRST_RETRY_MS} ms doubling to {@value #MAX_RETRY_MS} ms).
 * Readiness reports the same problem meanwhile ({@code server.KafkaDependency} creates its Admin
 * with {@link #create}).
 */
public final class KafkaBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBootstrap.class);

    static final long FIRST_RETRY_MS = 200;
    static final long MAX_RETRY_MS = 5_000;

    private KafkaBootstrap() {}

    /**
     * What stops a client from being constructed with these bootstrap servers now: empty when at
     * least one name resolves (kafka-clients need no more), else e.g. "no Kafka bootstrap name
     * resolves (kafka-0.kafka-headless:9092)". An entry that is not {@code host:port} is left to
     * the client's constructor, which names it.
     */
    public static Optional<String> problem(String bootstrapServers) {
        List<String> unresolved = new ArrayList<>();
        for (String entry : bootstrapServers.split(",")) {
            String url = entry.trim();
            if (url.isEmpty()) {
                continue;
            }
            String host = Utils.getHost(url);
            Integer port = Utils.getPort(url);
            if (host == null || port == null) {
                return Optional.empty();
            }
            // what the client's constructor does (client.dns.lookup=use_all_dns_ips, the default)
            if (!new InetSocketAddress(host, port).isUnresolved()) {
                return Optional.empty();
            }
            unresolved.add(url);
        }
        return Optional.of(
                "no Kafka bootstrap name resolves (" + String.join(", ", unresolved) + ")");
    }

    /**
     * Constructs a client when a bootstrap name resolves.
     *
     * @throws UnresolvableBootstrapException when none does (also when the check passed and the
     *     client's own lookup a moment later found none)
     */
    public static <T> T create(String bootstrapServers, Supplier<T> client) {
        Optional<String> problem = problem(bootstrapServers);
        if (problem.isPresent()) {
            throw new UnresolvableBootstrapException(problem.get());
        }
        try {
            return client.get();
        } catch (UnresolvableBootstrapException e) {
            throw e; // from a create() inside
        } catch (KafkaException e) {
            if (noResolvableUrls(e)) {
                throw new UnresolvableBootstrapException(
                        problem(bootstrapServers)
                                .orElse("no Kafka bootstrap name resolved for the client"),
                        e);
            }
            throw e;
        }
    }

    /**
     * {@link #create}, retried until it succeeds: after {@value #FIRST_RETRY_MS} ms, doubling up to
     * {@value #MAX_RETRY_MS} ms between attempts. Logs the problem once (again when it changes),
     * and once when the client could be created.
     *
     * @param what the client, for the log
     * @param stop checked between attempts: true when the caller shuts down
     * @throws InterruptedException when interrupted or {@code stop} turned true before a client
     *     could be created
     */
    public static <T> T await(
            String bootstrapServers, String what, Supplier<T> client, BooleanSupplier stop)
            throws InterruptedException {
        long delay = FIRST_RETRY_MS;
        String reported = null;
        while (true) {
            if (stop.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                throw new InterruptedException(what + ": stopped before Kafka could be resolved");
            }
            try {
                T created = create(bootstrapServers, client);
                if (reported != null) {
                    LOG.info("{}: a Kafka bootstrap name resolves now, client created", what);
                }
                return created;
            } catch (UnresolvableBootstrapException e) {
                if (!e.getMessage().equals(reported)) {
                    LOG.warn(
                            "{}: {}; retrying every {} ms at most, not ready until then",
                            what,
                            e.getMessage(),
                            MAX_RETRY_MS);
                    reported = e.getMessage();
                }
            }
            sleep(delay, stop);
            delay = Math.min(delay * 2, MAX_RETRY_MS);
        }
    }

    private static void sleep(long millis, BooleanSupplier stop) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000;
        long left;
        while (!stop.getAsBoolean() && (left = until - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, Math.min(100, left / 1_000_000)));
        }
    }

    private static boolean noResolvableUrls(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConfigException
                    && String.valueOf(cause.getMessage()).startsWith("No resolvable bootstrap")) {
                return true;
            }
        }
        return false;
    }
}
