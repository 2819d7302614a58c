package dev.exactlyonce.lab.drill;

import static org.awaitility.Awaitility.await;

import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.SupervisedProcess;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/** The lab's consumer children: kill -9 a random replica; the lab's supervisor restarts it. */
public final class LabConsumerFaults implements ConsumerFaults {

    private final Lab lab;

    public LabConsumerFaults(Lab lab) {
        this.lab = lab;
    }

    @Override
    public String kill() {
        List<SupervisedProcess> consumers = lab.consumers();
        SupervisedProcess victim = consumers.get(ThreadLocalRandom.current().nextInt(consumers.size()));
        return "kill -9 " + victim.kill() + " (" + victim.name() + ")";
    }

    @Override
    public String instances() {
        return lab.consumers().stream().map(c -> c.name() + "#" + c.restarts()).collect(Collectors.joining(","));
    }

    @Override
    public void awaitRestarted(String before, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        await("a consumer restart").atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> !instances().equals(before) && lab.consumers().stream().allMatch(c -> c.pid() > 0));
        for (SupervisedProcess consumer : lab.consumers()) {
            Lab.awaitServing(consumer, timeout.minusNanos(System.nanoTime() - start));
        }
    }
}
