package dev.exactlyonce.lab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A helper JVM the bench starts beside the lab (the Kafka Streams peer, the background load): a
 * main class of the lab's own classpath, its output in a log file. It is bounded twice: the bench
 * stops it ({@link #close()}), and its main calls {@link #exitWithParent()}, so that it also ends
 * when the bench's JVM dies without a chance to stop it (kill -9).
 */
final class ChildJvm implements AutoCloseable {

    private final Process process;

    private ChildJvm(Process process) {
        this.process = process;
    }

    static ChildJvm start(
            Class<?> main,
            List<String> jvmOptions,
            Map<String, String> environment,
            List<String> args,
            Path log)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder builder =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        return new ChildJvm(builder.start());
    }

    long pid() {
        return process.pid();
    }

    /** CPU time the process has used so far (user + system, from /proc), 0 once it is gone. */
    long cpuNanos() {
        return process.toHandle()
                .info()
                .totalCpuDuration()
                .map(java.time.Duration::toNanos)
                .orElse(0L);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM (the child's shutdown hook runs), SIGKILL after 15 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** In the child's main: exit as soon as the JVM that started it is gone. */
    static void exitWithParent() {
        ProcessHandle.current()
                .parent()
                .ifPresentOrElse(
                        parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(0)),
                        () -> Runtime.getRuntime().halt(0));
    }
}
