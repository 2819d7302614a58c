package dev.exactlyonce.consumer;

import io.micronaut.runtime.Micronaut;

/** The consumer: Kafka to PostgreSQL, gRPC ConsumerControl on 8001, management HTTP on 9001. */
public class ConsumerApplication {

    public static void main(String[] args) {
        Micronaut.run(ConsumerApplication.class, args);
    }
}
