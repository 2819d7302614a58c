package dev.exactlyonce.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Grafana dashboard and the Prometheus alert rules query only metrics the services really
 * export.
 */
class DashboardMetricsTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    private static final Path DASHBOARD =
            Chart.DIRECTORY.resolve("files/dashboards/exactly-once.json");
    private static final List<String> SERVICES = Rendered.SERVICES;

    /**
     * The team's metric contract (ARCHITECTURE.md, Micrometer names as Prometheus shows them), plus
     * the process start time Micronaut's uptime binder exports. Used only while the services'
     * metric-name files are missing and helm/pom.xml allows the fallback. The billing_* names are
     * the billing service's own.
     */
    private static final Set<String> DOCUMENTED =
            Set.of(
                    "orders_produced_total",
                    "producer_transactions_total",
                    "producer_transaction_duration_seconds_bucket",
                    "producer_transaction_duration_seconds_count",
                    "producer_transaction_duration_seconds_sum",
                    "producer_transaction_records_count",
                    "producer_transaction_records_sum",
                    "orders_produce_latency_seconds_bucket",
                    "producer_delivery_mode",
                    "consumer_messages_received_total",
                    "consumer_messages_processed_total",
                    "consumer_duplicates_skipped_total",
                    "consumer_processing_failures_total",
                    "consumer_retries_total",
                    "consumer_dead_lettered_total",
                    "consumer_crashes_fired_total",
                    "consumer_processing_latency_seconds_bucket",
                    "consumer_end_to_end_latency_seconds_bucket",
                    "consumer_lag",
                    "consumer_processing_mode",
                    "consumer_idempotency_enabled",
                    "billing_invoices_sent_total",
                    "billing_transactions_total",
                    "billing_orders_received_total",
                    "billing_crash_drills_fired_total",
                    "billing_dead_lettered_total",
                    "process_start_time_seconds",
                    "consumer_loop_stalled_seconds",
                    "billing_loop_stalled_seconds",
                    "consumer_retention_skipped_total");

    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> KEYWORDS =
            Set.of(
                    "and",
                    "or",
                    "unless",
                    "bool",
                    "offset",
                    "by",
                    "without",
                    "on",
                    "ignoring",
                    "group_left",
                    "group_right");

    @Test
    void everyQueryUsesOnlyExportedMetrics() throws IOException {
        Set<String> used = new TreeSet<>();
        for (String expr : expressions()) {
            used.addAll(metricNames(expr));
        }
        assertThat(used).as("metric names the dashboard uses").hasSizeGreaterThan(15);

        Set<String> exported = exportedMetricNames();
        assertThat(used)
                .allSatisfy(
                        name ->
                                assertThat(isExported(name, exported))
                                        .as(
                                                "%s is exported by a service (%s)",
                                                name, exported.size() + " names known")
                                        .isTrue());
    }

    @Test
    void dashboardUsesTheProvisionedDatasourceAndCoversTheStory() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> titles = dashboard.findValuesAsText("title");

        assertThat(dashboard.get("title").asText()).isEqualTo("Exactly-Once Processing");
        assertThat(dashboard.findValues("datasource"))
                .allSatisfy(ds -> assertThat(ds.get("uid").asText()).isEqualTo("prometheus"));
        assertThat(String.join("|", expressions()))
                .contains(
                        "histogram_quantile(0.99",
                        "consumer_lag",
                        "producer_transactions_total",
                        "consumer_duplicates_skipped_total",
                        "consumer_dead_lettered_total",
                        "consumer_crashes_fired_total",
                        "producer_delivery_mode",
                        "consumer_processing_mode",
                        "billing_invoices_sent_total",
                        "billing_transactions_total",
                        "billing_orders_received_total",
                        "billing_crash_drills_fired_total",
                        "billing_dead_lettered_total");
        assertThat(titles).isNotEmpty();
    }

    @Test
    void metricNamesAreExtractedFromPromql() {
        assertThat(
                        metricNames(
                                "histogram_quantile(0.95, sum by (le, mode) (rate(orders_produce_latency_seconds_bucket{job=\"producer\"}[1m])))"))
                .containsExactly("orders_produce_latency_seconds_bucket");
        assertThat(
                        metricNames(
                                "sum(rate(a_total[$__rate_interval])) / sum(rate(b_count[1m])) > bool 0"))
                .containsExactlyInAnyOrder("a_total", "b_count");
    }

    static Set<String> metricNames(String promql) {
        String stripped =
                promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                        .replaceAll("\\{[^}]*}", "")
                        .replaceAll("\\[[^]]*]", "")
                        .replaceAll(
                                "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)",
                                "")
                        .replaceAll("\\$\\w+", "");
        Set<String> names = new TreeSet<>();
        Matcher matcher = IDENTIFIER.matcher(stripped);
        while (matcher.find()) {
            String rest = stripped.substring(matcher.end()).stripLeading();
            boolean function = rest.startsWith("(");
            boolean number =
                    matcher.start() > 0 && Character.isDigit(stripped.charAt(matcher.start() - 1));
            if (!function && !number && !KEYWORDS.contains(matcher.group())) {
                names.add(matcher.group());
            }
        }
        return names;
    }

    /**
     * Every PromQL expression the chart ships: the dashboard's panels and Prometheus' alert rules.
     */
    private static List<String> expressions() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> expressions = new ArrayList<>();
        dashboard.findValues("expr").forEach(expr -> expressions.add(expr.asText()));
        expressions.addAll(alertExpressions());
        return expressions;
    }

    @Test
    void theAlertRulesParseAndNameTheStalledLoopDeadLettersAndRetentionGaps() throws IOException {
        assertThat(alertNames())
                .containsExactlyInAnyOrder(
                        "ProcessingLoopStalled", "OrdersDeadLettered", "RetentionGap");
        assertThat(String.join("|", alertExpressions()))
                .contains(
                        "consumer_loop_stalled_seconds",
                        "billing_loop_stalled_seconds",
                        "consumer_dead_lettered_total",
                        "billing_dead_lettered_total",
                        "consumer_retention_skipped_total");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> alertRules() {
        String alerts =
                Rendered.with(Map.of())
                        .find(
                                io.fabric8.kubernetes.api.model.ConfigMap.class,
                                "exactly-once-prometheus")
                        .getData()
                        .get("alerts.yml");
        Map<String, Object> parsed = new org.yaml.snakeyaml.Yaml().load(alerts);
        List<Map<String, Object>> groups = (List<Map<String, Object>>) parsed.get("groups");
        return groups.stream()
                .flatMap(g -> ((List<Map<String, Object>>) g.get("rules")).stream())
                .toList();
    }

    private static List<String> alertExpressions() {
        return alertRules().stream().map(rule -> String.valueOf(rule.get("expr"))).toList();
    }

    private static List<String> alertNames() {
        return alertRules().stream().map(rule -> String.valueOf(rule.get("alert"))).toList();
    }

    /** Names as written by the services' own tests (one per line, without labels). */
    private static Set<String> exportedMetricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        List<Path> missing = new ArrayList<>();
        for (String service : SERVICES) {
            Path file =
                    Chart.REPO_ROOT.resolve(service).resolve("target/prometheus-metric-names.txt");
            if (Files.isRegularFile(file)) {
                Files.readAllLines(file).stream()
                        .map(String::strip)
                        .filter(l -> !l.isEmpty())
                        .forEach(names::add);
            } else {
                missing.add(file);
            }
        }
        if (missing.isEmpty()) {
            return names;
        }
        if (Boolean.getBoolean("dashboard.metrics.fallback")) {
            names.addAll(DOCUMENTED);
            return names;
        }
        return fail(
                "missing "
                        + missing
                        + ": build the service modules first "
                        + "(./mvnw -pl producer,consumer,billing,query,helm -am verify); their tests write the metric names "
                        + "their /prometheus really exports");
    }

    /**
     * A histogram's _bucket/_count/_sum or a counter's _total also counts when the file lists the
     * base name.
     */
    private static boolean isExported(String name, Set<String> exported) {
        String base = name.replaceFirst("_(bucket|count|sum|total)$", "");
        return exported.contains(name) || exported.contains(base);
    }
}
