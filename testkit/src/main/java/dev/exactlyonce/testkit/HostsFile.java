package dev.exactlyonce.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.Security;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Name resolution a test controls, to start a service before its Kafka's DNS names exist. With
 * {@code -Djdk.net.hosts.file=<file>} the JDK resolves every name from that file alone, no DNS (JDK
 * 17's HostsFileNameService, which reads the file at every lookup), so a test writes the file
 * without the Kafka names, starts a service, and adds them later: what a Kafka pod's name does when
 * the pod gets an IP on Kubernetes. /etc/hosts is not touched.
 *
 * <p>The property takes effect only when the JVM starts: tests tagged {@value #TAG} run in the
 * surefire execution of that name (the parent pom), in a JVM of their own that has it. The JVM's
 * cache of failed lookups (10 s by default) is switched off here, before the first lookup, and
 * {@link #forThisJvm} checks that it is.
 */
public final class HostsFile {

    /** The JUnit tag of the tests that need it. */
    public static final String TAG = "hosts-file";

    public static final String PROPERTY = "jdk.net.hosts.file";

    /**
     * The chart's Kafka names in release "exactly-once" (helm's eo.kafkaBootstrap): the ClusterIP
     * Service first, then broker 0 by its pod's name.
     */
    public static final List<String> CHART_KAFKA_NAMES =
            List.of(
                    "exactly-once-kafka.exactly-once.svc",
                    "exactly-once-kafka-0.exactly-once-kafka-headless.exactly-once.svc");

    static {
        Security.setProperty("networkaddress.cache.ttl", "0");
        Security.setProperty("networkaddress.cache.negative.ttl", "0");
    }

    private final Path file;
    private final Set<String> loopbackNames = new LinkedHashSet<>();

    private HostsFile(Path file) {
        this.file = file;
    }

    /**
     * The file this JVM resolves from, written anew with localhost and this machine's name only.
     *
     * @throws IllegalStateException when the JVM was not started with {@value #PROPERTY}
     */
    public static HostsFile forThisJvm() {
        String path = System.getProperty(PROPERTY);
        if (path == null) {
            throw new IllegalStateException(
                    "this test needs a JVM started with -D"
                            + PROPERTY
                            + "=<file>: tests tagged '"
                            + TAG
                            + "' run in the surefire execution of that name");
        }
        HostsFile hosts = new HostsFile(Path.of(path));
        hosts.loopbackNames.add("localhost");
        hosts.loopbackNames.add(machineName());
        hosts.write();
        hosts.checkFailedLookupsAreNotCached();
        return hosts;
    }

    /** The chart's bootstrap list (see {@link #CHART_KAFKA_NAMES}) for a broker on {@code port}. */
    public static String chartBootstrapServers(int port) {
        return CHART_KAFKA_NAMES.stream()
                .map(name -> name + ":" + port)
                .collect(Collectors.joining(","));
    }

    /** From now on each name resolves to 127.0.0.1. */
    public void resolveToLoopback(List<String> names) {
        loopbackNames.addAll(names);
        write();
    }

    public static boolean resolves(String name) {
        try {
            InetAddress.getByName(name);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private void checkFailedLookupsAreNotCached() {
        String probe = "hosts-file-probe.invalid";
        if (resolves(probe)) {
            throw new IllegalStateException(probe + " resolves: " + file + " is not what resolves");
        }
        resolveToLoopback(List.of(probe));
        boolean cached = !resolves(probe);
        loopbackNames.remove(probe);
        write();
        if (cached) {
            throw new IllegalStateException(
                    "this JVM caches failed lookups: networkaddress.cache.negative.ttl was read before"
                            + " HostsFile could set it to 0");
        }
    }

    private void write() {
        String lines =
                loopbackNames.stream()
                        .map(name -> "127.0.0.1 " + name + "\n")
                        .collect(Collectors.joining());
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path next = Files.createTempFile(file.toAbsolutePath().getParent(), "hosts", ".tmp");
            Files.writeString(next, lines);
            // a lookup meanwhile reads the old file or the new one, never half of one
            Files.move(
                    next,
                    file,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
    }

    /** The name InetAddress.getLocalHost() looks up (it fails when the file lacks it). */
    private static String machineName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            String name = System.getenv("HOSTNAME");
            return name != null && !name.isBlank() ? name.trim() : "localhost";
        }
    }
}
