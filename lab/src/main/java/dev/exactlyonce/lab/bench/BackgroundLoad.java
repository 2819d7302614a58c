package dev.exactlyonce.lab.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code lab bench --background-load N}: N threads that keep a core busy each, beside the lab for
 * the whole bench — a machine that is not quiet, on purpose and measured. They run in a JVM of
 * their own (not in the bench's, whose CPU is accounted as the load generator and the rest, nor in
 * a service's), at normal priority (no nice), and they stop when the bench ends or dies ({@link
 * ChildJvm}). Every result the bench writes names the background load ({@link #describe(int)}).
 */
public final class BackgroundLoad implements AutoCloseable {

    private final ChildJvm child;

    private BackgroundLoad(ChildJvm child) {
        this.child = child;
    }

    /** Starts N busy threads, or nothing when N is 0. */
    public static BackgroundLoad start(int threads, Path log) throws IOException {
        if (threads < 0) {
            throw new IllegalArgumentException("--background-load must be 0 or more");
        }
        if (threads == 0) {
            return new BackgroundLoad(null);
        }
        return new BackgroundLoad(
                ChildJvm.start(
                        BackgroundLoad.class,
                        List.of("-Xmx32m", "-XX:+UseSerialGC"),
                        Map.of(),
                        List.of(String.valueOf(threads)),
                        log));
    }

    /** What every result says about the machine's other load. */
    public static String describe(int threads) {
        return threads == 0
                ? "none"
                : threads + " busy-loop thread(s) in a JVM of their own, normal priority";
    }

    /** The pid, for the progress line; -1 without background load. */
    public long pid() {
        return child == null ? -1 : child.pid();
    }

    @Override
    public void close() throws InterruptedException {
        if (child != null) {
            child.close();
        }
    }

    /** The child: N threads spinning until it is stopped or its parent is gone. */
    public static void main(String[] args) {
        ChildJvm.exitWithParent();
        int threads = Integer.parseInt(args[0]);
        for (int i = 0; i < threads; i++) {
            Thread spinner = new Thread(BackgroundLoad::spin, "background-load-" + i);
            spinner.start();
        }
    }

    private static volatile long sink;

    /** Arithmetic the JIT cannot drop (its result is published), without allocating. */
    private static void spin() {
        long x = Thread.currentThread().getId();
        while (true) {
            for (int i = 0; i < 1_000_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            sink = x;
        }
    }
}
