package dev.exactlyonce.lab;

import dev.exactlyonce.lab.runner.Endpoints;
import java.util.List;

/** The grpcurl commands printed once the lab is ready; the bodies are the contract's JSON. */
final class CheatSheet {

    private CheatSheet() {
    }

    static List<String> lines(Endpoints e) {
        String p = e.producer();
        String c = e.consumer();
        String q = e.query();
        String b = e.billing();
        return List.of(
                "",
                "Try it (grpcurl, no proto files needed: the services serve reflection):",
                "  grpcurl -plaintext " + p + " list",
                "  grpcurl -plaintext -d '{\"customer_id\":\"cust-001\",\"items\":[{\"name\":\"Widget\",\"quantity\":2,\"price\":19.99}],\"total_amount\":39.98}' \\",
                "      " + p + " exactlyonce.v1.OrderService/PlaceOrder",
                "  grpcurl -plaintext -d '{\"delivery_mode\":\"AT_LEAST_ONCE\"}' " + p + " exactlyonce.v1.OrderService/UpdateProducerConfig",
                "  grpcurl -plaintext -d '{\"processing_mode\":\"AT_LEAST_ONCE\",\"enable_idempotency\":false}' " + c
                        + " exactlyonce.v1.ConsumerControl/UpdateConsumerConfig",
                "  grpcurl -plaintext -d '{\"crash_after_messages\":5,\"crash_point\":\"AFTER_DB_COMMIT\"}' " + c
                        + " exactlyonce.v1.ConsumerControl/UpdateConsumerConfig",
                "Billing (orders -> invoices, Kafka to Kafka; the audit's second leg):",
                "  grpcurl -plaintext -d '{\"processing_mode\":\"AT_LEAST_ONCE\"}' " + b
                        + " exactlyonce.v1.BillingControl/UpdateBillingConfig",
                "  grpcurl -plaintext -d '{\"crash_after_messages\":5,\"crash_point\":\"AFTER_SEND\"}' " + b
                        + " exactlyonce.v1.BillingControl/UpdateBillingConfig",
                "  grpcurl -plaintext " + b + " exactlyonce.v1.BillingControl/GetBillingStats",
                "  grpcurl -plaintext " + q + " exactlyonce.v1.QueryService/GetStats",
                "  grpcurl -plaintext -d '{\"wait_seconds\":30}' " + q + " exactlyonce.v1.QueryService/Audit",
                "  grpcurl -plaintext " + q + " exactlyonce.v1.QueryService/CompareSemantics",
                "  grpcurl -plaintext " + q + " exactlyonce.v1.QueryService/Reset",
                "Crash drills and the benchmark against this lab (in another terminal):",
                "  java -jar lab/target/lab.jar drill --against 127.0.0.1",
                "  java -jar lab/target/lab.jar bench --against 127.0.0.1",
                "Ctrl-C stops everything.");
    }
}
