package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import dev.exactlyonce.lab.runner.ServicePorts;
import dev.exactlyonce.server.RpcClass;
import dev.exactlyonce.server.RpcClasses;
import io.grpc.MethodDescriptor;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Every grpcurl command of README.md and docs/*.md (read by {@link DocumentedGrpcurl}) against the
 * contract, without a lab: its method exists, its body parses strictly into the method's request
 * type, a control call carries the token header, and it calls the service's port — the lab's
 * (ServicePorts), which kind-config.yaml publishes for the cluster too. Each failure names its
 * file:line. {@link GrpcurlExercises} sends the exercises among them to a running lab.
 */
class DocumentedGrpcurlTest {

    private static final ServicePorts LAB = ServicePorts.DEFAULT;

    /** The lab's gRPC ports per service, every replica's (consumer-1 on 8011, ...). */
    private static final Map<String, Set<Integer>> PORTS =
            Map.of(
                    OrderServiceGrpc.SERVICE_NAME, Set.of(LAB.producerGrpc()),
                    ConsumerControlGrpc.SERVICE_NAME, replicas(LAB::consumerGrpc),
                    BillingControlGrpc.SERVICE_NAME, replicas(LAB::billingGrpc),
                    QueryServiceGrpc.SERVICE_NAME, Set.of(LAB.queryGrpc()));

    /** The lab listens on 127.0.0.1; kind publishes the same ports on 127.0.0.1 (localhost). */
    private static final Set<String> HOSTS = Set.of("127.0.0.1", "localhost");

    private static final Pattern BEARER = Pattern.compile("(?i)authorization:\\s*Bearer\\s+\\S.*");

    @Test
    void everyDocumentedCommandCallsTheContractAsItIs() {
        List<DocumentedGrpcurl> commands = DocumentedGrpcurl.inDocs();

        assertThat(problems(commands)).as("documented grpcurl commands").isEmpty();
        assertThat(commands)
                .as("README.md, docs/lab.md, docs/kubernetes.md, docs/security.md, ...")
                .hasSizeGreaterThan(50)
                .extracting(DocumentedGrpcurl::file)
                .contains(
                        "README.md",
                        "docs/lab.md",
                        "docs/kubernetes.md",
                        "docs/security.md",
                        "docs/concepts.md");
        assertThat(commands)
                .filteredOn(c -> c.body() != null)
                .as("commands with a body")
                .hasSizeGreaterThan(30);
    }

    @Test
    void theCheckReportsADoctoredSnippetLineByLine() {
        List<String> doctored =
                List.of(
                        "# Doctored",
                        "",
                        "```bash",
                        "grpcurl -plaintext -d '{\"custmer_id\":\"cust-001\"}' 127.0.0.1:8000"
                                + " exactlyonce.v1.OrderService/PlaceOrder",
                        "grpcurl -plaintext -d '{\"delivery_mode\":\"AT_LEAST_ONCE\"}'"
                                + " 127.0.0.1:8000 exactlyonce.v1.OrderService/UpdateProducerConfig",
                        "grpcurl -plaintext 127.0.0.1:8003 exactlyonce.v1.QueryService/GetStatz",
                        "grpcurl -plaintext -d '{\"wait_seconds\":30}' \\",
                        "    127.0.0.1:8001 exactlyonce.v1.QueryService/Audit",
                        "grpcurl -plaintxt localhost:30003 list",
                        "grpcurl -plaintext -d '{\"crash_point\":\"AFTER_LUNCH\"}' -H"
                                + " \"authorization: Bearer $TOKEN\" 127.0.0.1:8001"
                                + " exactlyonce.v1.ConsumerControl/UpdateConsumerConfig",
                        "```",
                        "",
                        "Prose: `grpcurl -plaintext -d '{\"wait_seconds\":\"soon\"}' 127.0.0.1:8003"
                                + " exactlyonce.v1.QueryService/Audit`.");

        List<String> problems = problems(DocumentedGrpcurl.parse("doctored.md", doctored));

        assertThat(problems)
                .anySatisfy(p -> assertThat(p).startsWith("doctored.md:4: ").contains("custmer_id"))
                .anySatisfy(
                        p ->
                                assertThat(p)
                                        .startsWith("doctored.md:5: ")
                                        .contains("control call without the token header"))
                .anySatisfy(
                        p ->
                                assertThat(p)
                                        .startsWith("doctored.md:6: ")
                                        .contains("QueryService/GetStatz")
                                        .contains("not in the contract"))
                .anySatisfy(
                        p ->
                                assertThat(p)
                                        .startsWith("doctored.md:7: ")
                                        .contains("port 8001", "[8003]"))
                .anySatisfy(
                        p ->
                                assertThat(p)
                                        .startsWith("doctored.md:9: ")
                                        .contains("unknown grpcurl flag -plaintxt"))
                .anySatisfy(
                        p ->
                                assertThat(p)
                                        .startsWith("doctored.md:9: ")
                                        .contains("neither -plaintext"))
                .anySatisfy(p -> assertThat(p).startsWith("doctored.md:9: ").contains("port 30003"))
                .anySatisfy(
                        p -> assertThat(p).startsWith("doctored.md:10: ").contains("AFTER_LUNCH"))
                .anySatisfy(p -> assertThat(p).startsWith("doctored.md:13: ").contains("soon"))
                .hasSize(9);
    }

    @Test
    void theParserReadsFlagsHeadersBodiesContinuationsAndHereDocuments() {
        List<String> markdown =
                List.of(
                        "## Exercises",
                        "",
                        "1. **First**",
                        "",
                        "   ```sh",
                        "   grpcurl -plaintext -H \"authorization: Bearer $(cat lab-data/control-token)\" \\",
                        "       -d '{}' 127.0.0.1:8003 exactlyonce.v1.QueryService/Reset  # a comment",
                        "   grpcurl -cacert tls.crt -max-time=5 -d @ 127.0.0.1:8000"
                                + " exactlyonce.v1.OrderService.PlaceOrder <<'EOF'",
                        "   {\"customer_id\": \"it's\"}",
                        "   EOF",
                        "   grpcurl -plaintext localhost:8002 list | sort",
                        "   ```",
                        "",
                        "   Then `grpcurl -plaintext 127.0.0.1:8003 exactlyonce.v1.QueryService/GetStats`;"
                                + " `grpcurl list` is a mention.",
                        "",
                        "Prose again.",
                        "```bash",
                        "grpcurl -plaintext 127.0.0.1:8003 exactlyonce.v1.QueryService/CompareSemantics",
                        "```",
                        "```",
                        "grpcurl ─gRPC─> producer (a diagram, not a command)",
                        "```",
                        "```text",
                        "grpcurl -plaintext 127.0.0.1:8003 exactlyonce.v1.QueryService/GetStats",
                        "```");

        List<DocumentedGrpcurl> all = DocumentedGrpcurl.parse("x.md", markdown);

        assertThat(all).hasSize(6);
        assertThat(all.get(5).location()).isEqualTo("x.md:24");
        assertThat(all.get(5).problems())
                .containsExactly(
                        "a grpcurl command in a fence not tagged as shell (```bash): not read");
        List<DocumentedGrpcurl> commands = all.subList(0, 5);
        assertThat(commands).allSatisfy(c -> assertThat(c.problems()).isEmpty());
        assertThat(commands.get(0).text())
                .isEqualTo(
                        "grpcurl -plaintext -H \"authorization: Bearer $(cat lab-data/control-token)\""
                                + " -d '{}' 127.0.0.1:8003 exactlyonce.v1.QueryService/Reset  # a comment");
        DocumentedGrpcurl reset = commands.get(0);
        assertThat(reset.location()).isEqualTo("x.md:6");
        assertThat(reset.heading()).isEqualTo("Exercises");
        assertThat(reset.item()).isEqualTo(1);
        assertThat(reset.flags()).containsExactly("-plaintext");
        assertThat(reset.headers())
                .containsExactly("authorization: Bearer $(cat lab-data/control-token)");
        assertThat(reset.body()).isEqualTo("{}");
        assertThat(reset.address()).isEqualTo("127.0.0.1:8003");
        assertThat(reset.method()).isEqualTo("exactlyonce.v1.QueryService/Reset");
        DocumentedGrpcurl heredoc = commands.get(1);
        assertThat(heredoc.location()).isEqualTo("x.md:8");
        assertThat(heredoc.flags()).containsExactly("-cacert tls.crt", "-max-time 5");
        assertThat(heredoc.body()).isEqualTo("   {\"customer_id\": \"it's\"}");
        assertThat(heredoc.method()).isEqualTo("exactlyonce.v1.OrderService/PlaceOrder");
        DocumentedGrpcurl list = commands.get(2);
        assertThat(list.location()).isEqualTo("x.md:11");
        assertThat(list.method()).isNull();
        assertThat(list.address()).isEqualTo("localhost:8002");
        DocumentedGrpcurl inline = commands.get(3);
        assertThat(inline.location()).isEqualTo("x.md:14");
        assertThat(inline.item()).isEqualTo(1);
        assertThat(inline.method()).isEqualTo("exactlyonce.v1.QueryService/GetStats");
        assertThat(commands.get(4).item()).as("after a paragraph: no list item").isZero();
        assertThat(problems(commands)).isEmpty();
    }

    /** What GrpcurlExercises sends: every command of docs/lab.md's exercises, by number. */
    @Test
    void theLabExercisesAreReadByTheirNumbers() {
        List<DocumentedGrpcurl> section =
                DocumentedGrpcurl.in(DocumentedGrpcurl.repoRoot(), "docs/lab.md").stream()
                        .filter(c -> c.heading().equals("Exercises with grpcurl"))
                        .toList();
        List<DocumentedGrpcurl> byNumber =
                IntStream.rangeClosed(1, 8)
                        .mapToObj(DocumentedGrpcurl::labExercise)
                        .flatMap(List::stream)
                        .toList();

        assertThat(byNumber).as("every command of the section, in an exercise").isEqualTo(section);
        assertThat(DocumentedGrpcurl.labExercise(8))
                .singleElement()
                .satisfies(
                        c ->
                                assertThat(c.method())
                                        .isEqualTo("exactlyonce.v1.OrderService/PlaceOrder"));
    }

    /** The kind cluster publishes the services' NodePorts on the lab's ports (kind-config.yaml). */
    @Test
    void kindPublishesTheGrpcPortsTheLabUses() throws Exception {
        String kindConfig =
                Files.readString(DocumentedGrpcurl.repoRoot().resolve("kind-config.yaml"));
        Matcher m = Pattern.compile("hostPort:\\s*(\\d+)").matcher(kindConfig);
        Set<Integer> published = new TreeSet<>();
        while (m.find()) {
            published.add(Integer.parseInt(m.group(1)));
        }
        assertThat(published)
                .contains(
                        LAB.producerGrpc(),
                        LAB.consumerGrpc(0),
                        LAB.billingGrpc(),
                        LAB.queryGrpc());
    }

    /** What is wrong with these commands, each as {@code file:line: what}. */
    static List<String> problems(List<DocumentedGrpcurl> commands) {
        List<String> problems = new ArrayList<>();
        for (DocumentedGrpcurl c : commands) {
            for (String problem : check(c)) {
                problems.add(c.location() + ": " + problem + "\n    " + c.text());
            }
        }
        return problems;
    }

    private static List<String> check(DocumentedGrpcurl c) {
        List<String> problems = new ArrayList<>(c.problems());
        if (!c.flags().contains("-plaintext")
                && c.flags().stream()
                        .noneMatch(f -> f.startsWith("-cacert ") || f.equals("-insecure"))) {
            problems.add("neither -plaintext nor -cacert/-insecure: grpcurl would try TLS");
        }
        Set<Integer> ports = new TreeSet<>();
        if (c.method() != null) {
            Optional<MethodDescriptor<?, ?>> method = GrpcContract.method(c.method());
            if (method.isEmpty()) {
                problems.add(c.method() + " is not in the contract");
            } else {
                try {
                    GrpcContract.requests(method.get(), c.body());
                } catch (InvalidProtocolBufferException | RuntimeException e) {
                    problems.add(
                            "the body is not a "
                                    + GrpcContract.requestType(method.get())
                                            .getDescriptorForType()
                                            .getFullName()
                                    + ": "
                                    + e.getMessage());
                }
                if (RpcClasses.of(c.method()) == RpcClass.CONTROL
                        && c.headers().stream().noneMatch(h -> BEARER.matcher(h).matches())) {
                    problems.add(
                            "control call without the token header (-H \"authorization: Bearer"
                                    + " ...\")");
                }
            }
            ports.addAll(PORTS.getOrDefault(c.service(), Set.of()));
        } else {
            PORTS.values().forEach(ports::addAll);
        }
        if (c.address() != null) {
            int colon = c.address().lastIndexOf(':');
            String host = colon < 0 ? c.address() : c.address().substring(0, colon);
            String port = colon < 0 ? "" : c.address().substring(colon + 1);
            if (!HOSTS.contains(host)) {
                problems.add("host " + host + " is neither the lab's nor kind's: " + HOSTS);
            }
            if (!port.matches("\\d+")
                    || !ports.isEmpty() && !ports.contains(Integer.parseInt(port))) {
                problems.add(
                        "port "
                                + port
                                + " is not where "
                                + (c.service() == null ? "a service" : c.service())
                                + " listens: "
                                + ports);
            }
        }
        return problems;
    }

    private static Set<Integer> replicas(java.util.function.IntUnaryOperator port) {
        Set<Integer> ports = new TreeSet<>();
        IntStream.range(0, ServicePorts.MAX_CONSUMERS).forEach(i -> ports.add(port.applyAsInt(i)));
        return ports;
    }
}
