package dev.exactlyonce.lab;

import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.LabSettings;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.ServiceJars;
import dev.exactlyonce.lab.runner.ServicePorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;

/**
 * A lab on random free ports (never the defaults, so a lab someone runs by hand is not disturbed),
 * whose output goes to the test log and is kept for assertions.
 */
public final class LabFixture {

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final Progress progress = new Progress(new PrintStream(new OutputStream() {
        @Override
        public synchronized void write(int b) {
            captured.write(b);
            System.out.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            captured.write(b, off, len);
            System.out.write(b, off, len);
        }
    }, true, StandardCharsets.UTF_8));

    public Lab start(int consumers) throws Exception {
        ServiceJars jars = ServiceJars.nextToLab();
        try {
            jars.requireAll();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("the lab tests start the services' shaded jars; the reactor builds "
                    + "producer, consumer and query before lab (mvn verify from the root), or run "
                    + "mvn -B -q -o -pl producer,consumer,query package -DskipTests first. " + e.getMessage(), e);
        }
        LabSettings settings = LabSettings.defaults()
                .withPorts(freePort(), freePort(), freeServicePorts(consumers))
                .withConsumers(consumers);
        return Lab.start(settings, progress);
    }

    public Progress progress() {
        return progress;
    }

    public String output() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A grpc base and a management base whose whole layout (base+0..+3, replicas +10*i) is free. */
    static ServicePorts freeServicePorts(int consumers) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int grpc = ThreadLocalRandom.current().nextInt(20_000, 29_000) / 100 * 100;
            ServicePorts ports = new ServicePorts(grpc, grpc + 10_000);
            boolean free = IntStream.concat(
                    IntStream.of(ports.producerGrpc(), ports.producerManagement(), ports.queryGrpc(), ports.queryManagement()),
                    IntStream.range(0, consumers).flatMap(i -> IntStream.of(ports.consumerGrpc(i), ports.consumerManagement(i))))
                    .allMatch(LabFixture::isFree);
            if (free) {
                return ports;
            }
        }
        throw new IllegalStateException("no free port range found");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
