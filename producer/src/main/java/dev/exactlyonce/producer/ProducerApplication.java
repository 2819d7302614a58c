package dev.exactlyonce.producer;

import dev.exactlyonce.server.JvmDnsCache;
import io.micronaut.runtime.Micronaut;

/** The order producer: gRPC OrderService on 8000, management HTTP on 9000. */
public class ProducerApplication {

    public static void main(String[] args) {
        JvmDnsCache.apply();
        Micronaut.run(ProducerApplication.class, args);
    }
}
