package dev.exactlyonce.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** What grpcurl and curl do against a running service: health, reflection, management HTTP. */
public final class ServiceProbe implements AutoCloseable {

    private final ManagedChannel channel;
    private final int managementPort;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public ServiceProbe(int grpcPort, int managementPort) {
        this.channel =
                ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        this.managementPort = managementPort;
    }

    public ManagedChannel channel() {
        return channel;
    }

    /** grpc.health.v1.Health/Check for a service name ("" = the whole server). */
    public ServingStatus health(String service) {
        return HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build())
                .getStatus();
    }

    /**
     * Waits (bounded) until Health/Check for the service answers {@code expected}. A check that
     * fails meanwhile (the server still starting, or too busy to answer within its deadline) is
     * asked again rather than ending the wait: that is not the answer waited for.
     */
    public void awaitHealth(String service, ServingStatus expected, Duration atMost) {
        await("health of '" + service + "' " + expected)
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(200))
                .ignoreException(StatusRuntimeException.class)
                .until(() -> health(service) == expected);
    }

    /** What {@code grpcurl -plaintext host:port list} prints, through grpc.reflection.v1. */
    public List<String> listServices() throws Exception {
        CompletableFuture<List<String>> result = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests =
                ServerReflectionGrpc.newStub(channel)
                        .withDeadlineAfter(5, TimeUnit.SECONDS)
                        .serverReflectionInfo(
                                new StreamObserver<>() {
                                    @Override
                                    public void onNext(ServerReflectionResponse response) {
                                        result.complete(
                                                response
                                                        .getListServicesResponse()
                                                        .getServiceList()
                                                        .stream()
                                                        .map(s -> s.getName())
                                                        .sorted()
                                                        .toList());
                                    }

                                    @Override
                                    public void onError(Throwable t) {
                                        result.completeExceptionally(t);
                                    }

                                    @Override
                                    public void onCompleted() {
                                        result.complete(List.of());
                                    }
                                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        return result.get(5, TimeUnit.SECONDS);
    }

    /**
     * What every service answers once Kafka and PostgreSQL are reachable: readiness ("") and
     * liveness over gRPC health, its service over reflection (what {@code grpcurl list} shows), and
     * the management endpoints Kubernetes and Prometheus use.
     */
    public void assertServes(String grpcService) throws Exception {
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(health("")).isEqualTo(ServingStatus.SERVING));
        assertThat(health("liveness")).isEqualTo(ServingStatus.SERVING);
        assertThat(listServices()).contains(grpcService, "grpc.health.v1.Health");
        assertThat(get("/health/liveness").statusCode()).isEqualTo(200);
        assertThat(get("/health/readiness").statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = get("/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("jvm_memory_used_bytes");
        assertManagementIsHealthAndPrometheusOnly();
    }

    /**
     * Alive but not ready, and readiness says why (its details contain {@code reason}): what keeps
     * Kubernetes from restarting the pod, and from sending it traffic.
     */
    public void assertAliveNotReady(String reason) {
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(
                        () -> {
                            assertThat(health("liveness")).isEqualTo(ServingStatus.SERVING);
                            assertThat(health("")).isEqualTo(ServingStatus.NOT_SERVING);
                            HttpResponse<String> readiness = get("/health/readiness");
                            assertThat(readiness.statusCode()).isEqualTo(503);
                            assertThat(readiness.body()).contains(reason);
                        });
    }

    /**
     * The management port answers health and Prometheus only: every other endpoint Micronaut has is
     * off unless configured on, so it answers 404 (or 401 where security is on), never data or an
     * action.
     */
    public void assertManagementIsHealthAndPrometheusOnly()
            throws IOException, InterruptedException {
        for (String path :
                List.of(
                        "/beans",
                        "/threaddump",
                        "/env",
                        "/loggers",
                        "/info",
                        "/routes",
                        "/caches")) {
            assertThat(get(path).statusCode()).as("GET " + path).isIn(404, 401);
        }
        for (String path : List.of("/refresh", "/stop", "/loggers/ROOT")) {
            assertThat(post(path).statusCode()).as("POST " + path).isIn(404, 401);
        }
        assertThat(get("/health/readiness").statusCode()).isEqualTo(200);
        assertThat(get("/prometheus").statusCode()).isEqualTo(200);
    }

    /** GET on the management port; returns status code and body. */
    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** POST with an empty JSON body on the management port. */
    public HttpResponse<String> post(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
