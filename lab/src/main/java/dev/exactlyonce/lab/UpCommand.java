package dev.exactlyonce.lab;

import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.Progress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code lab up}: Kafka, PostgreSQL and the three services, supervised, until Ctrl-C. */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description =
                "Start Kafka, PostgreSQL and the services (supervised child JVMs) until Ctrl-C.")
public class UpCommand implements Callable<Integer> {

    @Mixin LabOptions lab;

    @Override
    public Integer call() throws Exception {
        Progress progress = new Progress(System.out);
        Lab running = Lab.start(lab.settings(), progress);
        CheatSheet.lines(running.endpoints(), running.controlTokenFile()).forEach(progress::line);
        // runs until Ctrl-C: the lab's shutdown hook stops the services, Kafka and PostgreSQL
        new CountDownLatch(1).await();
        return 0;
    }
}
