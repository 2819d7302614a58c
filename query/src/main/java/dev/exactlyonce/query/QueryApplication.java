package dev.exactlyonce.query;

import dev.exactlyonce.server.JvmDnsCache;
import io.micronaut.runtime.Micronaut;

/** The query service: gRPC QueryService on 8003, management HTTP on 9003. */
public class QueryApplication {

    public static void main(String[] args) {
        JvmDnsCache.apply();
        Micronaut.run(QueryApplication.class, args);
    }
}
