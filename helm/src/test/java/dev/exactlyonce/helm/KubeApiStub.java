package dev.exactlyonce.helm;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A stand-in for the Kubernetes API calls Helm's {@code lookup} makes (API discovery of v1 and
 * apps/v1, GET of one Secret or StatefulSet). helm-java's {@code template()} evaluates {@code
 * lookup} against the cluster of $KUBECONFIG (surefire points it at the file this writes); with no
 * cluster at all rendering fails. It also lets a test say "this Secret already exists" to prove a
 * generated password is kept, or "this StatefulSet runs with n replicas" to prove a change of the
 * broker count is refused.
 */
final class KubeApiStub implements BeforeAllCallback, AfterAllCallback {

    private static final String DISCOVERY =
            """
            {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[
              {"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["get","list"]}]}""";
    private static final String APPS_DISCOVERY =
            """
            {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[
              {"name":"statefulsets","singularName":"statefulset","namespaced":true,"kind":"StatefulSet","verbs":["get","list"]}]}""";
    private static final String NOT_FOUND =
            """
            {"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""";

    /** Secret name → data (values base64, as the API returns them). */
    private final Map<String, Map<String, String>> secrets = new ConcurrentHashMap<>();

    /** StatefulSet name → spec.replicas. */
    private final Map<String, Integer> statefulSets = new ConcurrentHashMap<>();

    private HttpServer server;

    void putSecret(String name, Map<String, String> base64Data) {
        secrets.put(name, Map.copyOf(base64Data));
    }

    void clearSecrets() {
        secrets.clear();
    }

    void putStatefulSet(String name, int replicas) {
        statefulSets.put(name, replicas);
    }

    void clearStatefulSets() {
        statefulSets.clear();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        String kubeconfig = System.getenv("KUBECONFIG");
        if (kubeconfig == null || kubeconfig.isBlank()) {
            throw new IllegalStateException(
                    "KUBECONFIG is not set: run the chart tests through Maven "
                            + "(helm/pom.xml's surefire configuration points it at the stub)");
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.start();
        Path file = Path.of(kubeconfig);
        Files.createDirectories(file.getParent());
        Files.writeString(
                file,
                """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: stub
                    cluster: {server: "http://127.0.0.1:%d"}
                contexts:
                  - name: stub
                    context: {cluster: stub, user: stub}
                current-context: stub
                users:
                  - name: stub
                    user: {}
                """
                        .formatted(server.getAddress().getPort()));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.stop(0);
        }
    }

    private void answer(HttpExchange exchange) {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String secretName =
                    path.matches("/api/v1/namespaces/[^/]+/secrets/[^/]+")
                            ? path.substring(path.lastIndexOf('/') + 1)
                            : null;
            String statefulSetName =
                    path.matches("/apis/apps/v1/namespaces/[^/]+/statefulsets/[^/]+")
                            ? path.substring(path.lastIndexOf('/') + 1)
                            : null;
            if (path.equals("/api/v1")) {
                respond(exchange, 200, DISCOVERY);
            } else if (path.equals("/apis/apps/v1")) {
                respond(exchange, 200, APPS_DISCOVERY);
            } else if (statefulSetName != null && statefulSets.containsKey(statefulSetName)) {
                respond(
                        exchange,
                        200,
                        """
                        {"kind":"StatefulSet","apiVersion":"apps/v1","metadata":{"name":"%s"},"spec":{"replicas":%d}}"""
                                .formatted(statefulSetName, statefulSets.get(statefulSetName)));
            } else if (secretName != null && secrets.containsKey(secretName)) {
                String data =
                        secrets.get(secretName).entrySet().stream()
                                .map(e -> "\"%s\":\"%s\"".formatted(e.getKey(), e.getValue()))
                                .collect(Collectors.joining(","));
                respond(
                        exchange,
                        200,
                        """
                        {"kind":"Secret","apiVersion":"v1","metadata":{"name":"%s"},"data":{%s}}"""
                                .formatted(secretName, data));
            } else {
                respond(exchange, 404, NOT_FOUND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }
}
