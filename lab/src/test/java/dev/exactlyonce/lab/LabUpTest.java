package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.PlaceOrderResponse;
import dev.exactlyonce.grpc.v1.ResetRequest;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.PipelineModes;
import dev.exactlyonce.lab.runner.SampleOrders;
import dev.exactlyonce.lab.runner.SupervisedProcess;
import dev.exactlyonce.testkit.ServiceProbe;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code lab up} programmatically: every service answers health and reflection, orders go through,
 * a {@code kill -9} of the consumer is restarted by the supervisor without losing or duplicating an
 * order, and closing the lab leaves no process behind.
 */
class LabUpTest {

    @Test
    void upServesOrdersSurvivesKillMinus9AndLeavesNoOrphans() throws Exception {
        LabFixture fixture = new LabFixture();
        List<ProcessHandle> everyChild = new ArrayList<>();
        Lab lab = fixture.start(1, 1);
        try (PipelineClients clients = new PipelineClients(lab.endpoints(), lab.controlToken());
                PipelineClients anonymous = new PipelineClients(lab.endpoints())) {
            assertThat(fixture.output())
                    .contains("starting Kafka", "starting PostgreSQL", "ready in");
            lab.kafka().nodes().forEach(node -> everyChild.add(node.handle()));
            for (SupervisedProcess child : lab.children()) {
                everyChild.add(child.handle());
                try (ServiceProbe probe =
                        new ServiceProbe(child.spec().grpcPort(), child.spec().managementPort())) {
                    assertThat(probe.health("")).isEqualTo(ServingStatus.SERVING);
                    assertThat(probe.listServices()).contains("grpc.health.v1.Health");
                }
            }

            // the run's token: owner-only in the data directory, in the services' environment,
            // never on a command line
            assertThat(
                            PosixFilePermissions.toString(
                                    Files.getPosixFilePermissions(lab.controlTokenFile())))
                    .isEqualTo("rw-------");
            assertThat(Files.readString(lab.controlTokenFile()))
                    .isEqualTo(lab.controlToken().value());
            assertThat(lab.children())
                    .allSatisfy(
                            child -> {
                                assertThat(child.spec().environment())
                                        .containsEntry(
                                                "APP_CONTROL_TOKEN", lab.controlToken().value());
                                assertThat(child.handle().info().commandLine().orElse(""))
                                        .doesNotContain(lab.controlToken().value());
                            });
            assertThat(
                            catchThrowableOfType(
                                            StatusRuntimeException.class,
                                            () ->
                                                    anonymous
                                                            .query()
                                                            .reset(
                                                                    ResetRequest
                                                                            .getDefaultInstance()))
                                    .getStatus()
                                    .getCode())
                    .isEqualTo(Status.Code.UNAUTHENTICATED);

            new PipelineModes(clients).apply(DeliveryMode.EXACTLY_ONCE);
            clients.query().reset(ResetRequest.getDefaultInstance());
            SampleOrders orders = new SampleOrders("up-test");
            for (int i = 0; i < 20; i++) {
                PlaceOrderResponse placed = clients.producer().placeOrder(orders.order(i));
                assertThat(placed.getOffset()).isGreaterThanOrEqualTo(0);
            }

            SupervisedProcess consumer = lab.child("consumer-0");
            long killed = consumer.kill();
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    fixture.output()
                                            .contains(
                                                    "consumer-0 (pid "
                                                            + killed
                                                            + ") exited with code 137 (SIGKILL)"));
            for (int i = 20; i < 40; i++) {
                clients.producer().placeOrder(orders.order(i));
            }
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> consumer.pid() > 0 && consumer.pid() != killed);
            assertThat(fixture.output())
                    .contains("consumer-0 restarted (pid " + consumer.pid() + ", restart #1)");
            Lab.awaitServing(consumer, Duration.ofSeconds(90));
            everyChild.add(consumer.handle());

            AuditResponse audit =
                    clients.query()
                            .audit(
                                    AuditRequest.newBuilder()
                                            .setAcknowledged(40)
                                            .setWaitSeconds(60)
                                            .build());
            assertThat(audit.getStoredDistinct()).isEqualTo(40);
            assertThat(audit.getLost()).isZero();
            assertThat(audit.getDuplicated()).isZero();
            assertThat(audit.getVerdict()).isEqualTo("EXACTLY_ONCE");

            // docs/lab.md's exercises, from the doc: anonymous clients and the doc's own headers
            new GrpcurlExercises(anonymous, lab.controlTokenFile())
                    .runAll(Path.of("target", "grpcurl-exercises.md"));
        } finally {
            lab.close();
        }
        assertThat(everyChild).noneMatch(ProcessHandle::isAlive);
        assertThat(lab.controlTokenFile()).as("the token dies with the run").doesNotExist();
        assertThat(fixture.output()).contains("stopped in");
    }
}
