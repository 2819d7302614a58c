package dev.exactlyonce.lab.runner;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One service replica as a child JVM: its name (the pod name), jar, JVM options, environment, log file. */
public record ChildSpec(String name, Path jar, List<String> jvmOptions, Map<String, String> environment,
                        int grpcPort, int managementPort, Path logFile) {

    List<String> command(String java) {
        var command = new java.util.ArrayList<String>();
        command.add(java);
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        return command;
    }
}
