package dev.exactlyonce.lab.drill;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.SupervisedProcess;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Faults in the lab: kill -9 of a child (the lab's supervisor restarts it), and stop/start of the
 * embedded broker or database on the same port and data.
 */
public final class LabFaults implements PipelineFaults {

    private final Lab lab;

    public LabFaults(Lab lab) {
        this.lab = lab;
    }

    @Override
    public String consumerInstances() {
        return lab.consumers().stream().map(c -> c.name() + "#" + c.restarts()).collect(Collectors.joining(","));
    }

    @Override
    public void awaitConsumerRestarted(String before, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        await("a consumer restart").atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> !consumerInstances().equals(before) && lab.consumers().stream().allMatch(c -> c.pid() > 0));
        for (SupervisedProcess consumer : lab.consumers()) {
            Lab.awaitServing(consumer, timeout.minusNanos(System.nanoTime() - start));
        }
    }

    @Override
    public String inject(Fault fault, Duration timeout) throws InterruptedException {
        String what = switch (fault) {
            case SIGKILL_CONSUMER -> {
                List<SupervisedProcess> consumers = lab.consumers();
                yield kill(consumers.get(ThreadLocalRandom.current().nextInt(consumers.size())), timeout);
            }
            case SIGKILL_PRODUCER -> kill(lab.child("producer-0"), timeout);
            case RESTART_KAFKA -> {
                lab.kafka().stop();
                lab.kafka().start();
                yield "restarted Kafka";
            }
            case RESTART_POSTGRES -> {
                lab.postgres().stop();
                lab.postgres().start();
                yield "restarted PostgreSQL";
            }
            default -> throw new IllegalArgumentException(fault + " is not an external fault");
        };
        // readiness follows the dependencies: every service answers SERVING once it is whole again
        for (SupervisedProcess child : lab.children()) {
            Lab.awaitServing(child, timeout);
        }
        return what;
    }

    private static String kill(SupervisedProcess victim, Duration timeout) throws InterruptedException {
        int restarts = victim.restarts();
        long pid = victim.kill();
        await(victim.name() + " restarted").atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> victim.restarts() > restarts && victim.pid() > 0);
        return "kill -9 " + pid + " (" + victim.name() + ")";
    }
}
