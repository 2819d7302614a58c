package dev.exactlyonce.billing;

import dev.exactlyonce.server.JvmDnsCache;
import io.micronaut.runtime.Micronaut;

/**
 * Billing: orders to invoices, Kafka to Kafka; gRPC BillingControl on 8002, management HTTP on
 * 9002.
 */
public class BillingApplication {

    public static void main(String[] args) {
        JvmDnsCache.apply();
        Micronaut.run(BillingApplication.class, args);
    }
}
