package dev.exactlyonce.lab.runner;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds the services' runnable jars: {@code <repo>/<service>/target/<service>.jar}. The repository
 * root is found from where the lab itself runs ({@code lab/target/lab.jar} or, in tests, {@code
 * lab/target/classes}: both three levels below the root), or given with {@code --repo}.
 */
public record ServiceJars(Path repo) {

    public static final List<String> SERVICES = List.of("producer", "consumer", "billing", "query");

    public static ServiceJars nextToLab() {
        try {
            Path location =
                    Path.of(
                            ServiceJars.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI());
            return new ServiceJars(location.toAbsolutePath().getParent().getParent().getParent());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot tell where the lab runs from; use --repo", e);
        }
    }

    public Path jar(String service) {
        return repo.resolve(service).resolve("target").resolve(service + ".jar");
    }

    /** Fails with one message naming every missing jar and how to build them. */
    public ServiceJars requireAll() {
        List<Path> missing =
                SERVICES.stream().map(this::jar).filter(jar -> !Files.isRegularFile(jar)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(
                    "missing service jar(s) "
                            + missing
                            + ": run ./mvnw -B -q package -DskipTests first (in "
                            + repo
                            + "), or point --repo at the repository");
        }
        return this;
    }
}
