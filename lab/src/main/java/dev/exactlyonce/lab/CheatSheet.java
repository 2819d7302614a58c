package dev.exactlyonce.lab;

import dev.exactlyonce.lab.runner.Endpoints;
import dev.exactlyonce.server.RpcClass;
import dev.exactlyonce.server.RpcClasses;
import java.nio.file.Path;
import java.util.List;

/**
 * The grpcurl commands printed once the lab is ready; the bodies are the contract's JSON. Every
 * call the services' table ({@link RpcClasses}) classes as control carries the run's token: {@code
 * -H "authorization: Bearer $(cat <data>/control-token)"}.
 */
final class CheatSheet {

    private CheatSheet() {}

    static List<String> lines(Endpoints e, Path tokenFile) {
        String p = e.producer();
        String c = e.consumer();
        String q = e.query();
        String b = e.billing();
        Grpcurl grpcurl = new Grpcurl(tokenFile);
        return List.of(
                "",
                "Try it (grpcurl, no proto files needed: the services serve reflection).",
                "Control calls (modes, crash drills, resets) need this run's token, in "
                        + tokenFile
                        + ":",
                "  grpcurl -plaintext " + p + " list",
                "  "
                        + grpcurl.call(
                                "{\"customer_id\":\"cust-001\",\"items\":[{\"name\":\"Widget\",\"quantity\":2,\"price\":19.99}],\"total_amount\":39.98}",
                                p,
                                "OrderService/PlaceOrder"),
                "  "
                        + grpcurl.call(
                                "{\"delivery_mode\":\"AT_LEAST_ONCE\"}",
                                p,
                                "OrderService/UpdateProducerConfig"),
                "  "
                        + grpcurl.call(
                                "{\"processing_mode\":\"AT_LEAST_ONCE\",\"enable_idempotency\":false}",
                                c,
                                "ConsumerControl/UpdateConsumerConfig"),
                "  "
                        + grpcurl.call(
                                "{\"crash_after_messages\":5,\"crash_point\":\"AFTER_DB_COMMIT\"}",
                                c,
                                "ConsumerControl/UpdateConsumerConfig"),
                "Billing (orders -> invoices, Kafka to Kafka; the audit's second leg):",
                "  "
                        + grpcurl.call(
                                "{\"processing_mode\":\"AT_LEAST_ONCE\"}",
                                b,
                                "BillingControl/UpdateBillingConfig"),
                "  "
                        + grpcurl.call(
                                "{\"crash_after_messages\":5,\"crash_point\":\"AFTER_SEND\"}",
                                b,
                                "BillingControl/UpdateBillingConfig"),
                "  " + grpcurl.call(null, b, "BillingControl/GetBillingStats"),
                "  " + grpcurl.call(null, q, "QueryService/GetStats"),
                "  " + grpcurl.call("{\"wait_seconds\":30}", q, "QueryService/Audit"),
                "  " + grpcurl.call(null, q, "QueryService/CompareSemantics"),
                "  " + grpcurl.call(null, q, "QueryService/Reset"),
                "Crash drills and the benchmark against this lab (in another terminal):",
                "  java -jar lab/target/lab.jar drill --against 127.0.0.1 --control-token-file "
                        + tokenFile,
                "  java -jar lab/target/lab.jar bench --against 127.0.0.1 --control-token-file "
                        + tokenFile,
                "Ctrl-C stops everything.");
    }

    /** One grpcurl command line, with the token header exactly when the RPC is a control call. */
    record Grpcurl(Path tokenFile) {

        String call(String body, String address, String method) {
            StringBuilder line = new StringBuilder("grpcurl -plaintext");
            if (RpcClasses.of("exactlyonce.v1." + method) == RpcClass.CONTROL) {
                line.append(" -H \"authorization: Bearer $(cat ").append(tokenFile).append(")\"");
            }
            if (body != null) {
                line.append(" -d '").append(body).append("'");
            }
            return line.append(' ')
                    .append(address)
                    .append(" exactlyonce.v1.")
                    .append(method)
                    .toString();
        }
    }
}
