package dev.exactlyonce.lab.runner;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code kill -STOP} and {@code kill -CONT}, with a record of every process stopped and not yet
 * continued: {@link #continueAll()} (also run by a JVM shutdown hook) makes sure a crashed or
 * interrupted run never leaves a stopped process behind.
 */
public final class Pauses {

    private static final Set<Long> STOPPED = ConcurrentHashMap.newKeySet();
    private static final Object LOCK = new Object();

    /** Set when the JVM shuts down: from then on no process is stopped any more. */
    private static boolean closed;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Pauses::close, "pauses-cont"));
    }

    private Pauses() {}

    /**
     * SIGSTOP to each pid, in order (a parent before its children: it forks no new ones); refused
     * once the JVM shuts down, so a fault starting during the shutdown cannot outlive the hook, and
     * for a pid below 2: {@code kill -STOP -1} would stop every process this user may signal, and 0
     * this JVM's own process group (a supervised child between exit and restart has pid -1).
     */
    public static void stop(List<Long> pids) throws IOException, InterruptedException {
        if (pids.stream().anyMatch(pid -> pid < 2)) {
            throw new IllegalArgumentException("not a process to pause: " + pids);
        }
        synchronized (LOCK) {
            if (closed) {
                throw new IllegalStateException("shutting down: no new pause");
            }
            STOPPED.addAll(pids); // first: a crash between the two still continues them
            signal("-STOP", pids);
        }
    }

    /** The shutdown hook: refuse new pauses, then continue every process still stopped. */
    static void close() {
        synchronized (LOCK) {
            closed = true;
        }
        continueAll();
    }

    /** SIGCONT to each pid. */
    public static void resume(List<Long> pids) throws IOException, InterruptedException {
        signal("-CONT", pids);
        pids.forEach(STOPPED::remove);
    }

    /** Every process stopped here and not continued yet. */
    public static Set<Long> stopped() {
        return Set.copyOf(STOPPED);
    }

    /** SIGCONT to every process still stopped. */
    public static void continueAll() {
        List<Long> pids = new ArrayList<>(STOPPED);
        if (pids.isEmpty()) {
            return;
        }
        try {
            resume(pids);
        } catch (IOException e) {
            System.err.println("could not continue " + pids + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the process is stopped now (state T in /proc/PID/stat; Linux only, else false). */
    public static boolean isStopped(long pid) {
        try {
            String stat =
                    java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String afterName = stat.substring(stat.lastIndexOf(')') + 2);
            return afterName.startsWith("T");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void signal(String signal, List<Long> pids)
            throws IOException, InterruptedException {
        if (pids.isEmpty()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("kill", signal));
        pids.forEach(p -> command.add(Long.toString(p)));
        // a pid that exited meanwhile makes kill complain; the others still get the signal
        new ProcessBuilder(command).redirectErrorStream(true).start().waitFor();
    }
}
