package dev.exactlyonce.lab.chaos;

import static dev.exactlyonce.lab.chaos.Nemesis.RECOVERY;

import dev.exactlyonce.lab.runner.Kubectl;
import dev.exactlyonce.lab.runner.NodePausers;
import dev.exactlyonce.lab.runner.Progress;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The faults of a kind cluster, with kubectl (as {@code lab drill --against}'s {@code
 * KubectlFaults}): a forced delete ({@code --grace-period=0 --force}) is a service's or broker's
 * SIGKILL, a plain delete its clean restart (SIGTERM, the pod's grace period), PostgreSQL is
 * restarted with a plain delete only (why: {@code KubectlFaults}), and a pause is a SIGSTOP from
 * the node ({@link NodePausers}). Each fault ends when the component's pods are all ready again. A
 * fault holds its component (a broker: its pod), so no other fault strikes it meanwhile.
 *
 * <p>Not on kind: network faults (the lab's fault proxies sit between the lab's processes; a
 * cluster's pod network is the CNI's), and holding two brokers down (their StatefulSet recreates a
 * deleted pod at once; "two brokers down" deletes two at once).
 */
final class KubectlStrikes implements Strikes {

    static final List<String> SERVICES = List.of("producer", "consumer", "billing", "query");

    /** The classes this target can strike. */
    static final Set<FaultClass> CLASSES =
            EnumSet.of(
                    FaultClass.PAUSE,
                    FaultClass.KILL,
                    FaultClass.RESTART,
                    FaultClass.BROKER,
                    FaultClass.POSTGRES);

    private final Kubectl kubectl;
    private final NodePausers pausers;
    private final Progress progress;

    /** {@code pausers} null: this cluster cannot pause, so the run has no pauses. */
    KubectlStrikes(Kubectl kubectl, NodePausers pausers, Progress progress) {
        this.kubectl = kubectl;
        this.pausers = pausers;
        this.progress = progress;
    }

    @Override
    public Strike plan(FaultClass faultClass, Duration remaining, Random random) {
        try {
            return switch (faultClass) {
                case PAUSE -> planPause(remaining, random);
                case KILL -> planDelete(FaultClass.KILL, randomService(random), random, true);
                case RESTART ->
                        planDelete(FaultClass.RESTART, randomService(random), random, false);
                case BROKER -> planBroker(random);
                case POSTGRES -> planPostgresRestart();
                case NETWORK -> null;
            };
        } catch (IOException e) {
            progress.line("  nemesis: kubectl failed, no fault this time: %s", e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String randomService(Random random) {
        return SERVICES.get(random.nextInt(SERVICES.size()));
    }

    /** What a fault holds: a broker's pod, else the component. */
    private static String target(String component, String pod) {
        return component.equals("kafka") ? pod : component;
    }

    // --- pause ------------------------------------------------------------------------------

    private Strike planPause(Duration remaining, Random random)
            throws IOException, InterruptedException {
        Duration pause = Strikes.pauseLength(remaining, random);
        if (pause == null || pausers == null) {
            return null;
        }
        List<String> components = new ArrayList<>(SERVICES);
        components.add("kafka");
        components.add("postgres");
        String component = components.get(random.nextInt(components.size()));
        List<String> pods = kubectl.pods(component);
        if (pods.isEmpty()) {
            return null;
        }
        String pod = pods.get(random.nextInt(pods.size()));
        return new Strike(
                FaultClass.PAUSE,
                "pause " + pod + " (kill -STOP from its node) for " + pause.toSeconds() + " s",
                Set.of(target(component, pod)),
                component.equals("kafka") ? 1 : 0,
                () -> {
                    List<String> pids = pausers.stop(pod);
                    try {
                        Thread.sleep(pause.toMillis());
                    } finally {
                        pausers.resume(pod, pids);
                    }
                    kubectl.awaitReady(component, RECOVERY);
                    return "kill -CONT " + String.join(" ", pids) + "; " + component + " ready";
                });
    }

    // --- kill, restart ----------------------------------------------------------------------

    private Strike planDelete(FaultClass faultClass, String component, Random random, boolean force)
            throws IOException, InterruptedException {
        List<String> pods = kubectl.pods(component);
        if (pods.isEmpty()) {
            return null;
        }
        String pod = pods.get(random.nextInt(pods.size()));
        String what =
                (force ? "kubectl delete --force (SIGKILL) " : "kubectl delete (SIGTERM) ") + pod;
        return new Strike(
                faultClass,
                what,
                Set.of(target(component, pod)),
                component.equals("kafka") ? 1 : 0,
                () -> {
                    String before = kubectl.instances(component);
                    delete(List.of(pod), force);
                    kubectl.awaitReplaced(component, before, RECOVERY);
                    return "replaced, " + component + " ready";
                });
    }

    private Strike planBroker(Random random) throws IOException, InterruptedException {
        List<String> pods = new ArrayList<>(kubectl.pods("kafka"));
        if (pods.isEmpty()) {
            return null;
        }
        boolean two = pods.size() >= 3 && random.nextBoolean();
        Collections.shuffle(pods, random);
        List<String> down = List.copyOf(pods.subList(0, two ? 2 : 1));
        return new Strike(
                FaultClass.BROKER,
                (two
                                ? "two brokers down: kubectl delete --force "
                                : "kubectl delete --force broker ")
                        + String.join(", ", down),
                Set.copyOf(down),
                down.size(),
                () -> {
                    String before = kubectl.instances("kafka");
                    delete(down, true);
                    kubectl.awaitReplaced("kafka", before, RECOVERY);
                    return "replaced, kafka ready";
                });
    }

    private Strike planPostgresRestart() {
        return new Strike(
                FaultClass.POSTGRES,
                "restart PostgreSQL (kubectl delete, its fast shutdown)",
                Set.of("postgres"),
                0,
                () -> {
                    String before = kubectl.instances("postgres");
                    kubectl.run(
                            "delete", "pod", "-l", Kubectl.COMPONENT + "=postgres", "--wait=false");
                    kubectl.awaitReplaced("postgres", before, RECOVERY);
                    return "replaced, postgres ready";
                });
    }

    private void delete(List<String> pods, boolean force) throws IOException, InterruptedException {
        List<String> arguments = new ArrayList<>(List.of("delete", "pod"));
        arguments.addAll(pods);
        if (force) {
            arguments.addAll(List.of("--grace-period=0", "--force"));
        }
        arguments.add("--wait=false");
        kubectl.run(arguments.toArray(String[]::new));
    }

    @Override
    public void healAll() {
        if (pausers != null) {
            pausers.continueAll();
        }
    }
}
