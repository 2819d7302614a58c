package dev.exactlyonce.consumer;

import dev.exactlyonce.server.JvmDnsCache;
import io.micronaut.runtime.Micronaut;

/** The consumer: Kafka to PostgreSQL, gRPC ConsumerControl on 8001, management HTTP on 9001. */
public class ConsumerApplication {

    public static void main(String[] args) {
        JvmDnsCache.apply();
        Micronaut.run(ConsumerApplication.class, args);
    }
}
