package dev.exactlyonce.server;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness = every {@link Dependency} reachable. Checked every 2 s; a service whose Kafka or
 * PostgreSQL is unreachable keeps running and retrying with readiness false instead of dying, and
 * says so in one log line per change. Published both as {@code /health/readiness} and as the gRPC
 * health status of the server ("") that Kubernetes' {@code grpc:} readiness probe asks; the service
 * name {@value #LIVENESS} always answers SERVING, for the liveness probe.
 */
@Singleton
@io.micronaut.management.health.indicator.annotation.Readiness
@Requires(beans = HealthStatusManager.class)
public class DependencyReadiness implements HealthIndicator {

    public static final String LIVENESS = "liveness";
    private static final Logger LOG = LoggerFactory.getLogger(DependencyReadiness.class);

    private final List<Dependency> dependencies;
    private final HealthStatusManager grpcHealth;
    private final Map<String, String> problems = new ConcurrentHashMap<>();
    private volatile boolean checkedOnce;

    public DependencyReadiness(List<Dependency> dependencies, HealthStatusManager grpcHealth) {
        this.dependencies = dependencies;
        this.grpcHealth = grpcHealth;
        grpcHealth.setStatus(LIVENESS, ServingStatus.SERVING);
        grpcHealth.setStatus(
                HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    }

    @Scheduled(fixedDelay = "2s", initialDelay = "0s")
    void check() {
        for (Dependency dependency : dependencies) {
            String key = dependency.name();
            try {
                dependency.check();
                if (problems.remove(key) != null) {
                    LOG.info("{} at {} is reachable again", key, dependency.location());
                }
            } catch (Exception e) {
                String reason = e.getCause() != null ? e.getCause().toString() : e.toString();
                if (!reason.equals(problems.put(key, reason))) {
                    LOG.warn(
                            "{} at {} is unreachable ({}); retrying every 2 s, readiness false",
                            key,
                            dependency.location(),
                            reason);
                }
            }
        }
        checkedOnce = true;
        grpcHealth.setStatus(
                HealthStatusManager.SERVICE_NAME_ALL_SERVICES,
                isReady() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }

    public boolean isReady() {
        return checkedOnce && problems.isEmpty();
    }

    /**
     * The names of the dependencies that failed their last check ("Kafka", "PostgreSQL", "shared
     * settings", ...), every one before the first check: readiness is false exactly when there is
     * one.
     */
    public List<String> failing() {
        return dependencies.stream()
                .map(Dependency::name)
                .filter(name -> !checkedOnce || problems.containsKey(name))
                .toList();
    }

    @Override
    public Publisher<HealthResult> getResult() {
        Map<String, Object> details = new LinkedHashMap<>();
        for (Dependency dependency : dependencies) {
            details.put(
                    dependency.name(),
                    Map.of(
                            "location", dependency.location(),
                            "status",
                                    problems.getOrDefault(
                                            dependency.name(),
                                            checkedOnce ? "reachable" : "not checked yet")));
        }
        return Publishers.just(
                HealthResult.builder(
                                "dependencies", isReady() ? HealthStatus.UP : HealthStatus.DOWN)
                        .details(details)
                        .build());
    }
}
