package dev.exactlyonce.lab.drill;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The consumer pods of the kind cluster: {@code kubectl delete pod --grace-period=0 --force} is the
 * SIGKILL; the Deployment brings new pods, a crash drill's halt bumps the container's restart count.
 */
public final class KubectlConsumerFaults implements ConsumerFaults {

    static final String SELECTOR = "app.kubernetes.io/component=consumer";

    private final String namespace;

    public KubectlConsumerFaults(String namespace) {
        this.namespace = namespace;
    }

    @Override
    public String kill() throws IOException, InterruptedException {
        return kubectl("delete", "pod", "--grace-period=0", "--force", "--wait=false", "-l", SELECTOR).trim();
    }

    @Override
    public String instances() throws IOException, InterruptedException {
        return kubectl("get", "pods", "-l", SELECTOR, "-o",
                "jsonpath={range .items[*]}{.metadata.uid}:{.status.containerStatuses[0].restartCount} {end}").trim();
    }

    @Override
    public void awaitRestarted(String before, Duration timeout) throws IOException, InterruptedException {
        await("consumer pods replaced or restarted").atMost(timeout).pollInterval(Duration.ofMillis(500))
                .until(() -> !instances().equals(before));
        kubectl("wait", "--for=condition=Ready", "pod", "-l", SELECTOR, "--timeout=" + timeout.toSeconds() + "s");
    }

    private String kubectl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kubectl"));
        if (namespace != null) {
            command.add("--namespace=" + namespace);
        }
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output.trim());
        }
        return output;
    }
}
