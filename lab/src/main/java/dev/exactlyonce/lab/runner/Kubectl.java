package dev.exactlyonce.lab.runner;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code kubectl} in one namespace (or the context's), as {@code lab drill --against} and
 * {@code lab chaos --against} do on kind: each call bounded by two minutes, a non-zero exit an
 * {@link IOException} with kubectl's own words.
 */
public final class Kubectl {

    /** The label every pod of the chart carries with its component (producer, kafka, ...). */
    public static final String COMPONENT = "app.kubernetes.io/component";

    /** The chart's four services. */
    public static final String SERVICES = COMPONENT + " in (producer,consumer,billing,query)";

    private final String namespace;

    public Kubectl(String namespace) {
        this.namespace = namespace;
    }

    /** kubectl's standard output (and error) of {@code kubectl [--namespace=N] args...}. */
    public String run(String... args) throws IOException, InterruptedException {
        return runWithInput(null, args);
    }

    /**
     * The same, with {@code input} on kubectl's standard input ({@code apply -f -}). Only standard
     * output is returned: kubectl's warnings go to standard error, which is kept for the message of
     * a failure.
     */
    public String runWithInput(String input, String... args)
            throws IOException, InterruptedException {
        List<String> command = command(args);
        Path errors = Files.createTempFile("kubectl", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
            try (OutputStream stdin = process.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            // readAllBytes returns only when kubectl closes its output: a kubectl that hangs (an
            // API server that does not answer) is ended, so the two minutes are a real bound
            CompletableFuture<Void> watchdog =
                    CompletableFuture.runAsync(
                            process::destroyForcibly,
                            CompletableFuture.delayedExecutor(2, TimeUnit.MINUTES));
            String output;
            try {
                output =
                        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                watchdog.cancel(false);
            }
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(
                        String.join(" ", command)
                                + " failed: "
                                + (output + "\n" + Files.readString(errors)).trim());
            }
            return output;
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** The command line {@code kubectl [--namespace=N] args...}, for a process of the caller's. */
    public List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of("kubectl"));
        if (namespace != null) {
            command.add("--namespace=" + namespace);
        }
        command.addAll(List.of(args));
        return command;
    }

    /** The names of the pods with {@code component=...}, sorted. */
    public List<String> pods(String component) throws IOException, InterruptedException {
        String names = podsJsonPath(component, "{.items[*].metadata.name}").trim();
        return names.isEmpty()
                ? List.of()
                : List.of(names.split("\\s+")).stream().sorted().toList();
    }

    /**
     * Identifies a component's running containers: each pod's uid and restart count; changes
     * whenever one of them is replaced or restarted.
     */
    public String instances(String component) throws IOException, InterruptedException {
        return podsJsonPath(
                        component,
                        "{range .items[*]}{.metadata.uid}:{.status.containerStatuses[0].restartCount} {end}")
                .trim();
    }

    /**
     * Waits (bounded by timeout) until the component's {@link #instances} differ from {@code
     * before} — a pod replaced or a container restarted — and then until {@link #allReady}.
     */
    public void awaitReplaced(String component, String before, Duration timeout) {
        await(component + " pods replaced or restarted")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> !instances(component).equals(before));
        awaitReady(component, timeout);
    }

    /** Waits (bounded by timeout) until {@link #allReady}. */
    public void awaitReady(String component, Duration timeout) {
        await(component + " ready")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> allReady(component));
    }

    /** True when the component has pods, none of them terminating, and all are ready. */
    public boolean allReady(String component) throws IOException, InterruptedException {
        List<String> states = podStates(component);
        return !states.isEmpty() && states.stream().allMatch(Kubectl::isReady);
    }

    /** The ready pods of a component (not terminating), sorted. */
    public List<String> readyPods(String component) throws IOException, InterruptedException {
        return podStates(component).stream()
                .filter(Kubectl::isReady)
                .map(line -> line.substring(0, line.indexOf(' ')))
                .sorted()
                .toList();
    }

    /** "NAME DELETION-TIMESTAMP|READY" per pod of the component. */
    private List<String> podStates(String component) throws IOException, InterruptedException {
        return podsJsonPath(
                        component,
                        "{range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}|"
                                + "{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}")
                .lines()
                .map(String::trim)
                .filter(line -> !line.isEmpty())
                .toList();
    }

    /** Not terminating (no deletion timestamp) and Ready=True. */
    private static boolean isReady(String podState) {
        return podState.endsWith(" |True");
    }

    /** {@code kubectl get pods -l component=C -o jsonpath=TEMPLATE}. */
    private String podsJsonPath(String component, String template)
            throws IOException, InterruptedException {
        return run("get", "pods", "-l", COMPONENT + "=" + component, "-o", "jsonpath=" + template);
    }
}
