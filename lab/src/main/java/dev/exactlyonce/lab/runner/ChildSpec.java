package dev.exactlyonce.lab.runner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One child JVM (a service replica or a Kafka node; its name is the pod name): what follows the JVM
 * options on its command line ({@code -jar service.jar}, or {@code -cp ... MainClass args}), JVM
 * options, environment, ports (0 where it has no gRPC server) and log file.
 */
public record ChildSpec(
        String name,
        List<String> launch,
        List<String> jvmOptions,
        Map<String, String> environment,
        int grpcPort,
        int managementPort,
        Path logFile) {

    public ChildSpec {
        launch = List.copyOf(launch);
        jvmOptions = List.copyOf(jvmOptions);
    }

    /** A service's runnable jar. */
    static List<String> jar(Path jar) {
        return List.of("-jar", jar.toString());
    }

    List<String> command(String java) {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.addAll(launch);
        return command;
    }
}
