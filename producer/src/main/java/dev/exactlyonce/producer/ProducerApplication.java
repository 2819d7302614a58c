package dev.exactlyonce.producer;

import io.micronaut.runtime.Micronaut;

/** The order producer: gRPC OrderService on 8000, management HTTP on 9000. */
public class ProducerApplication {

    public static void main(String[] args) {
        Micronaut.run(ProducerApplication.class, args);
    }
}
