package dev.exactlyonce.lab.drill;

import static dev.exactlyonce.lab.runner.Kubectl.COMPONENT;
import static dev.exactlyonce.lab.runner.Kubectl.SERVICES;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.runner.Kubectl;
import dev.exactlyonce.lab.runner.NodePausers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Faults on the kind cluster: {@code kubectl delete pod --grace-period=0 --force} of a component's
 * pods is the SIGKILL of the services and of a Kafka broker; the workload controllers bring new
 * pods, a crash drill's halt bumps the container's restart count. PostgreSQL is restarted with a
 * plain (graceful) delete: a forced one removes the pod from the API at once, so the StatefulSet
 * can start the successor on the same volume while the old postmaster is still stopping, and
 * PostgreSQL's postmaster.pid check cannot see a process of another container's PID namespace. The
 * image's stop signal (SIGINT) makes that a fast shutdown: open transactions are rolled back, as
 * after a crash, but the data directory is closed cleanly before the next server opens it. A pause
 * is a SIGSTOP from the pod's node ({@link NodePausers}).
 */
public final class KubectlFaults implements PipelineFaults {

    private final Kubectl kubectl;
    private NodePausers pausers;

    public KubectlFaults(String namespace) {
        this.kubectl = new Kubectl(namespace);
    }

    @Override
    public String consumerInstances() throws IOException, InterruptedException {
        return instances("consumer");
    }

    @Override
    public void awaitConsumerRestarted(String before, Duration timeout)
            throws IOException, InterruptedException {
        kubectl.awaitReplaced("consumer", before, timeout);
    }

    @Override
    public String billingInstances() throws IOException, InterruptedException {
        return instances("billing");
    }

    @Override
    public void awaitBillingRestarted(String before, Duration timeout)
            throws IOException, InterruptedException {
        kubectl.awaitReplaced("billing", before, timeout);
    }

    @Override
    public String inject(Fault fault, Duration timeout) throws IOException, InterruptedException {
        if (fault == Fault.PAUSE_CONSUMER || fault == Fault.PAUSE_BILLING) {
            return pause(fault == Fault.PAUSE_CONSUMER ? "consumer" : "billing", timeout);
        }
        String component =
                switch (fault) {
                    case SIGKILL_CONSUMER -> "consumer";
                    case SIGKILL_BILLING -> "billing";
                    case SIGKILL_PRODUCER -> "producer";
                    case RESTART_POSTGRES -> "postgres";
                    // on kind the drill cannot ask which node leads or coordinates: it kills one
                    // broker pod at random
                    case SIGKILL_PARTITION_LEADER,
                            SIGKILL_TRANSACTION_COORDINATOR,
                            SIGKILL_GROUP_COORDINATOR ->
                            "kafka";
                    case ROLLING_RESTART_KAFKA -> {
                        kubectl("rollout", "restart", "statefulset", "-l", COMPONENT + "=kafka");
                        kubectl(
                                "rollout",
                                "status",
                                "statefulset",
                                "-l",
                                COMPONENT + "=kafka",
                                "--timeout=" + timeout.toSeconds() + "s");
                        kubectl(
                                "wait",
                                "--for=condition=Ready",
                                "pod",
                                "-l",
                                SERVICES,
                                "--timeout=" + timeout.toSeconds() + "s");
                        yield null;
                    }
                    case POISON_ORDER -> {
                        // a record that is not an OrderEvent at all, from the broker pod's own
                        // console producer
                        String pod = randomPod("kafka");
                        kubectl(
                                "exec",
                                pod,
                                "--",
                                "sh",
                                "-c",
                                "echo 'poison-kind:not an OrderEvent' | "
                                        + "/opt/kafka/bin/kafka-console-producer.sh --bootstrap-server localhost:9092 --topic "
                                        + Topics.ORDERS
                                        + " --property parse.key=true --property key.separator=:");
                        yield null;
                    }
                    default ->
                            throw new IllegalArgumentException(
                                    fault + " is not a fault the drill can inject on kind");
                };
        if (component == null) {
            return fault == Fault.POISON_ORDER
                    ? "wrote a record that is not an OrderEvent to "
                            + Topics.ORDERS
                            + " with kafka-console-producer"
                    : "kubectl rollout restart of the Kafka StatefulSet";
        }
        String before = instances(component);
        String deleted = kubectl(deletion(fault, component)).trim();
        kubectl.awaitReplaced(component, before, timeout);
        kubectl(
                "wait",
                "--for=condition=Ready",
                "pod",
                "-l",
                SERVICES,
                "--timeout=" + timeout.toSeconds() + "s");
        return deleted;
    }

    /**
     * SIGSTOP of a random pod of the component from its node ({@link NodePausers}, started at the
     * first pause), {@link LabFaults#PAUSE_FOR} as in the lab, SIGCONT: the same process goes on,
     * as the pod's liveness probe allows about 30 s.
     */
    private String pause(String component, Duration timeout)
            throws IOException, InterruptedException {
        if (pausers == null) {
            NodePausers started = new NodePausers(kubectl);
            try {
                started.start();
            } catch (IOException e) {
                started.close();
                throw new IOException("this cluster cannot pause a pod: " + e.getMessage(), e);
            }
            pausers = started;
        }
        String pod = randomPod(component);
        List<String> pids = pausers.stop(pod);
        try {
            Thread.sleep(LabFaults.PAUSE_FOR.toMillis());
        } finally {
            pausers.resume(pod, pids);
        }
        kubectl.awaitReady(component, timeout);
        return "kill -STOP of "
                + pod
                + " from its node (pids "
                + String.join(" ", pids)
                + "), "
                + LabFaults.PAUSE_FOR.toSeconds()
                + " s, kill -CONT";
    }

    @Override
    public void close() {
        if (pausers != null) {
            pausers.close();
        }
    }

    /**
     * The kubectl arguments that take the fault's pods down: forced (SIGKILL) except for
     * PostgreSQL.
     */
    private String[] deletion(Fault fault, String component)
            throws IOException, InterruptedException {
        List<String> arguments = new ArrayList<>(List.of("delete", "pod"));
        if (fault != Fault.RESTART_POSTGRES) {
            arguments.addAll(List.of("--grace-period=0", "--force"));
        }
        arguments.add("--wait=false");
        if (Fault.BROKER.contains(fault)) {
            arguments.add(randomPod(component));
        } else {
            arguments.addAll(List.of("-l", COMPONENT + "=" + component));
        }
        return arguments.toArray(String[]::new);
    }

    private String randomPod(String component) throws IOException, InterruptedException {
        List<String> pods = kubectl.pods(component);
        return pods.get(ThreadLocalRandom.current().nextInt(pods.size()));
    }

    private String instances(String component) throws IOException, InterruptedException {
        return kubectl.instances(component);
    }

    private String kubectl(String... args) throws IOException, InterruptedException {
        return kubectl.run(args);
    }
}
