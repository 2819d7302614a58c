package dev.exactlyonce.lab.runner;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where the machine's cores went during a run: CPU time per process of the pipeline, read twice
 * ({@link #snapshot}) and turned into "% of one core" over the wall time in between ({@link
 * #between}).
 *
 * <p>Accounts: each service child by name, the Kafka nodes together ({@link #KAFKA}: their own
 * JVMs), PostgreSQL (the postmaster and its backends, found through {@code postmaster.pid} in the
 * lab's data directory), and this JVM split in two — the load generator (its gRPC client threads,
 * named {@code grpc-*}) and the rest (the fault proxies when on, the drill or bench bookkeeping, GC
 * and JIT). Against remote services only the load generator is seen.
 */
public final class CpuAccount {

    public static final String LOAD_GENERATOR = "load generator";
    public static final String KAFKA = "kafka (all nodes)";
    public static final String LAB_JVM_REST = "lab JVM (rest)";
    public static final String POSTGRES = "postgresql";

    /** CPU time per account at one instant. */
    public record Snapshot(long wallNanos, Map<String, Long> cpuNanos) {}

    private CpuAccount() {}

    public static Snapshot snapshot(Optional<Lab> lab) {
        Map<String, Long> cpu = new LinkedHashMap<>();
        long jvm = cpuNanos(ProcessHandle.current());
        long load = loadGeneratorThreadsNanos();
        cpu.put(LOAD_GENERATOR, load);
        if (lab.isPresent()) {
            cpu.put(LAB_JVM_REST, Math.max(0, jvm - load));
            long kafka = 0;
            for (SupervisedProcess node : lab.get().kafka().nodes()) {
                kafka += ProcessHandle.of(node.pid()).map(CpuAccount::cpuNanos).orElse(0L);
            }
            cpu.put(KAFKA, kafka);
            for (SupervisedProcess child : lab.get().children()) {
                ProcessHandle.of(child.pid())
                        .ifPresent(process -> cpu.put(child.name(), cpuNanos(process)));
            }
            postmaster(lab.get().dataDir().resolve("postgres"))
                    .ifPresent(
                            postmaster ->
                                    cpu.put(
                                            POSTGRES,
                                            cpuNanos(postmaster)
                                                    + postmaster
                                                            .descendants()
                                                            .mapToLong(CpuAccount::cpuNanos)
                                                            .sum()));
        }
        return new Snapshot(System.nanoTime(), cpu);
    }

    /**
     * Per account, percent of one core between two snapshots (200 = both cores of a 2-core
     * machine).
     */
    public static Map<String, Double> between(Snapshot before, Snapshot after) {
        double wall = Math.max(1, after.wallNanos() - before.wallNanos());
        Map<String, Double> percent = new LinkedHashMap<>();
        after.cpuNanos()
                .forEach(
                        (account, nanos) -> {
                            Long earlier = before.cpuNanos().get(account);
                            if (earlier
                                    != null) { // a process restarted in between has no comparable
                                // figure
                                percent.put(account, Math.max(0, nanos - earlier) * 100 / wall);
                            }
                        });
        return percent;
    }

    private static long cpuNanos(ProcessHandle process) {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    private static long loadGeneratorThreadsNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (ThreadInfo thread : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (thread != null && thread.getThreadName().startsWith("grpc-")) {
                sum += Math.max(0, threads.getThreadCpuTime(thread.getThreadId()));
            }
        }
        return sum;
    }

    /** The first line of postmaster.pid is the postmaster's pid. */
    private static Optional<ProcessHandle> postmaster(Path dataDir) {
        try {
            String first = Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim();
            return ProcessHandle.of(Long.parseLong(first));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
