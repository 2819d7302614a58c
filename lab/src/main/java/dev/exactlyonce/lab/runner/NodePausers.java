package dev.exactlyonce.lab.runner;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pauses on kind, for {@code lab chaos --against} and {@code lab drill --against}. A container's
 * JVM is PID 1 of its PID namespace, and the kernel ignores SIGSTOP sent to a namespace's init from
 * inside it ({@code kubectl exec ... kill -STOP 1} does nothing). From the node's PID namespace it
 * is a process like any other. So, per node, one pod of our own ({@code hostPID: true}, privileged,
 * {@value #IMAGE}, sleeping) in the chart's namespace; a pause is {@code kubectl exec} in it: find
 * the processes whose cgroup names the target container's id, SIGSTOP them, later SIGCONT. Where
 * the cluster refuses such a pod (a Pod Security level of baseline or restricted on the namespace,
 * no image pull), {@link #start} says so plainly and the run has no pauses.
 */
public final class NodePausers implements AutoCloseable {

    public static final String IMAGE = "busybox:1.36";
    static final String COMPONENT_VALUE = "chaos-pauser";

    private final Kubectl kubectl;
    private final Map<String, String> pauserByNode = new LinkedHashMap<>();

    /** pauser pod → the processes it stopped and has not continued yet */
    private final Map<String, List<String>> stopped = new ConcurrentHashMap<>();

    public NodePausers(Kubectl kubectl) {
        this.kubectl = kubectl;
    }

    /**
     * Starts a pauser on every node that runs a pod of the chart and waits until all are ready;
     * throws, with kubectl's words, when the cluster refuses them.
     */
    public void start() throws IOException, InterruptedException {
        String nodes =
                kubectl.run(
                                "get",
                                "pods",
                                "-l",
                                Kubectl.COMPONENT
                                        + " in (producer,consumer,billing,query,kafka,postgres)",
                                "-o",
                                "jsonpath={.items[*].spec.nodeName}")
                        .trim();
        for (String node : nodes.split("\\s+")) {
            if (node.isEmpty() || pauserByNode.containsKey(node)) {
                continue;
            }
            String pod = podName(node);
            kubectl.runWithInput(manifest(pod, node), "apply", "-f", "-");
            pauserByNode.put(node, pod);
        }
        if (pauserByNode.isEmpty()) {
            throw new IOException("no pod of the chart found: is it installed in this namespace?");
        }
        for (String pod : pauserByNode.values()) {
            kubectl.run("wait", "--for=condition=Ready", "pod/" + pod, "--timeout=120s");
        }
    }

    /** Stops every process of the pod's containers; returns their pids (node PID namespace). */
    public List<String> stop(String pod) throws IOException, InterruptedException {
        String[] placement =
                kubectl.run(
                                "get",
                                "pod",
                                pod,
                                "-o",
                                "jsonpath={.spec.nodeName} {.status.containerStatuses[*].containerID}")
                        .trim()
                        .split("\\s+");
        String pauser = pauserByNode.get(placement[0]);
        if (pauser == null || placement.length < 2) {
            throw new IOException(pod + " has no running container, or no pauser on its node");
        }
        List<String> ids = new ArrayList<>();
        for (int i = 1; i < placement.length; i++) {
            String id = placement[i];
            ids.add(id.substring(id.indexOf("://") + 3)); // containerd://<id>
        }
        // every process whose cgroup path names one of the containers' ids (cgroupfs and systemd
        // drivers both put it there), stopped and printed
        String script =
                "for d in /proc/[0-9]*; do if grep -qE '"
                        + String.join("|", ids)
                        + "' \"$d/cgroup\" 2>/dev/null; then p=${d#/proc/}; kill -STOP \"$p\" && echo \"$p\"; fi; done";
        String out = kubectl.run("exec", pauser, "--", "sh", "-c", script).trim();
        if (out.isEmpty()) {
            throw new IOException(
                    "no process of " + pod + "'s containers " + ids + " found from " + pauser);
        }
        List<String> pids = List.of(out.split("\\s+"));
        stopped.merge(
                pauser,
                new ArrayList<>(pids),
                (a, b) -> {
                    List<String> all = new ArrayList<>(a);
                    all.addAll(b);
                    return all;
                });
        return pids;
    }

    /** Continues the processes {@link #stop} stopped for one pod. */
    public void resume(String pod, List<String> pids) throws IOException, InterruptedException {
        for (Map.Entry<String, List<String>> e : stopped.entrySet()) {
            if (e.getValue().containsAll(pids)) {
                cont(e.getKey(), pids);
                e.getValue().removeAll(pids);
                return;
            }
        }
    }

    /** SIGCONT to everything still stopped; safe any time. */
    public void continueAll() {
        stopped.forEach(
                (pauser, pids) -> {
                    try {
                        if (!pids.isEmpty()) {
                            cont(pauser, List.copyOf(pids));
                            pids.clear();
                        }
                    } catch (IOException e) {
                        // the pauser is gone: nothing it stopped outlives it for long, as the
                        // kubelet's liveness probes restart a stopped container
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
    }

    private void cont(String pauser, List<String> pids) throws IOException, InterruptedException {
        // a stopped process the kubelet killed meanwhile is gone: kill's error is not ours
        kubectl.run(
                "exec",
                pauser,
                "--",
                "sh",
                "-c",
                "kill -CONT " + String.join(" ", pids) + " 2>/dev/null; true");
    }

    @Override
    public void close() {
        continueAll();
        for (String pod : pauserByNode.values()) {
            try {
                kubectl.run("delete", "pod", pod, "--wait=false", "--ignore-not-found");
            } catch (IOException e) {
                // left behind; `kubectl delete pod -l app.kubernetes.io/component=chaos-pauser`
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static String podName(String node) {
        String name =
                "chaos-pauser-"
                        + node.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        return name.length() <= 63 ? name : name.substring(0, 63).replaceAll("-+$", "");
    }

    /** The pauser: host PID namespace, privileged (to signal other users' processes), one node. */
    static String manifest(String pod, String node) {
        return """
                {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "%s", "labels": {"%s": "%s"}},
                 "spec": {"nodeName": "%s", "hostPID": true, "restartPolicy": "Never",
                          "terminationGracePeriodSeconds": 0, "tolerations": [{"operator": "Exists"}],
                          "containers": [{"name": "pauser", "image": "%s", "command": ["sleep", "86400"],
                                          "securityContext": {"privileged": true}}]}}
                """
                .formatted(pod, Kubectl.COMPONENT, COMPONENT_VALUE, node, IMAGE);
    }
}
