package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.testkit.ControlToken;
import dev.exactlyonce.testkit.TestInfrastructure;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.micronaut.context.ApplicationContext;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC over TLS from certificate and key files (grpc.server.ssl.*): a self-signed certificate made
 * here with the JDK's keytool, the client trusting it as its CA (grpcurl's {@code -cacert}); a
 * plaintext client gets nothing; asked for TLS with a file that is not there, the service does not
 * start.
 */
class GrpcTlsTest {

    @TempDir Path dir;

    @Test
    void servesTlsFromPemFilesToAClientThatTrustsTheCertificate() throws Exception {
        SelfSigned certificate = SelfSigned.create(dir);
        Map<String, Object> properties = properties();
        properties.put("grpc.server.ssl.cert-chain", "file:" + certificate.certificate());
        properties.put("grpc.server.ssl.private-key", "file:" + certificate.privateKey());
        try (EmbeddedServer management =
                ApplicationContext.run(EmbeddedServer.class, properties, "test")) {
            int port =
                    management.getApplicationContext().getBean(GrpcEmbeddedServer.class).getPort();
            ManagedChannel tls =
                    Grpc.newChannelBuilderForAddress(
                                    "127.0.0.1",
                                    port,
                                    TlsChannelCredentials.newBuilder()
                                            .trustManager(certificate.certificate().toFile())
                                            .build())
                            .build();
            ManagedChannel plaintext =
                    ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                var health = HealthGrpc.newBlockingStub(tls);
                await().atMost(Duration.ofSeconds(30))
                        .until(
                                () ->
                                        health.withDeadlineAfter(5, TimeUnit.SECONDS)
                                                        .check(
                                                                HealthCheckRequest
                                                                        .getDefaultInstance())
                                                        .getStatus()
                                                == ServingStatus.SERVING);
                var orders = ControlToken.TEST.on(OrderServiceGrpc.newBlockingStub(tls));
                assertThat(
                                orders.updateProducerConfig(
                                                UpdateProducerConfigRequest.newBuilder()
                                                        .setDeliveryMode(DeliveryMode.EXACTLY_ONCE)
                                                        .setEnableTransactions(true)
                                                        .build())
                                        .getDeliveryMode())
                        .isEqualTo(DeliveryMode.EXACTLY_ONCE);
                assertThat(orders.placeOrder(Orders.valid("tls")).getStatus())
                        .isEqualTo("COMMITTED");

                StatusRuntimeException refused =
                        catchThrowableOfType(
                                StatusRuntimeException.class,
                                () ->
                                        HealthGrpc.newBlockingStub(plaintext)
                                                .withDeadlineAfter(5, TimeUnit.SECONDS)
                                                .check(HealthCheckRequest.getDefaultInstance()));
                assertThat(refused).as("a plaintext client is not served").isNotNull();
                assertThat(refused.getStatus().getCode())
                        .isIn(
                                Status.Code.UNAVAILABLE,
                                Status.Code.INTERNAL,
                                Status.Code.DEADLINE_EXCEEDED,
                                Status.Code.UNKNOWN);
            } finally {
                tls.shutdownNow();
                plaintext.shutdownNow();
            }
        }
    }

    @Test
    void askedForTlsWithAMissingFileTheServiceDoesNotStart() {
        Map<String, Object> properties = properties();
        properties.put("grpc.server.ssl.cert-chain", "file:" + dir.resolve("absent.crt"));
        properties.put("grpc.server.ssl.private-key", "file:" + dir.resolve("absent.key"));
        assertThatThrownBy(
                        () ->
                                ApplicationContext.run(EmbeddedServer.class, properties, "test")
                                        .close())
                .hasStackTraceContaining("is not readable");
    }

    private static Map<String, Object> properties() {
        Map<String, Object> properties =
                new HashMap<>(TestInfrastructure.shared().micronautProperties());
        properties.putAll(ControlToken.TEST.serverProperties());
        properties.put("app.pod-name", "producer-tls-test");
        return properties;
    }

    /** A self-signed certificate for 127.0.0.1 and localhost and its PKCS#8 key, as PEM files. */
    record SelfSigned(Path certificate, Path privateKey) {

        static SelfSigned create(Path dir) throws Exception {
            Path keystore = dir.resolve("server.p12");
            String password = "changeit";
            Process keytool =
                    new ProcessBuilder(
                                    List.of(
                                            Path.of(
                                                            System.getProperty("java.home"),
                                                            "bin",
                                                            "keytool")
                                                    .toString(),
                                            "-genkeypair",
                                            "-alias",
                                            "server",
                                            "-keyalg",
                                            "RSA",
                                            "-keysize",
                                            "2048",
                                            "-validity",
                                            "2",
                                            "-dname",
                                            "CN=localhost",
                                            "-ext",
                                            "SAN=ip:127.0.0.1,dns:localhost",
                                            "-storetype",
                                            "PKCS12",
                                            "-keystore",
                                            keystore.toString(),
                                            "-storepass",
                                            password,
                                            "-keypass",
                                            password))
                            .redirectErrorStream(true)
                            .start();
            String output =
                    new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(keytool.waitFor()).as(output).isZero();

            KeyStore store = KeyStore.getInstance("PKCS12");
            try (FileInputStream in = new FileInputStream(keystore.toFile())) {
                store.load(in, password.toCharArray());
            }
            Path certificate = dir.resolve("server.crt");
            Path privateKey = dir.resolve("server.key");
            Files.writeString(
                    certificate, pem("CERTIFICATE", store.getCertificate("server").getEncoded()));
            Files.writeString(
                    privateKey,
                    pem(
                            "PRIVATE KEY",
                            store.getKey("server", password.toCharArray()).getEncoded()));
            return new SelfSigned(certificate, privateKey);
        }

        private static String pem(String type, byte[] der) {
            return "-----BEGIN "
                    + type
                    + "-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(der)
                    + "\n-----END "
                    + type
                    + "-----\n";
        }
    }
}
