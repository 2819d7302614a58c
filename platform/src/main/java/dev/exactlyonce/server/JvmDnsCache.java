package dev.exactlyonce.server;

import java.security.Security;

/**
 * How long the JVM caches name lookups, from the system properties the chart sets ({@code
 * -Dsun.net.inetaddr.ttl}, {@code -Dsun.net.inetaddr.negative.ttl}; value {@code dnsCache.*}). The
 * JDK reads a system property only when the security property is unset, and its own {@code
 * java.security} sets {@code networkaddress.cache.negative.ttl=10}: without this, a failed lookup
 * (a Kafka pod with no IP yet) stayed cached 10 s whatever the chart said. Each service's {@code
 * main} calls {@link #apply()} before its first lookup.
 */
public final class JvmDnsCache {

    static final String TTL = "sun.net.inetaddr.ttl";
    static final String NEGATIVE_TTL = "sun.net.inetaddr.negative.ttl";

    private JvmDnsCache() {}

    public static void apply() {
        copy(TTL, "networkaddress.cache.ttl");
        copy(NEGATIVE_TTL, "networkaddress.cache.negative.ttl");
    }

    private static void copy(String systemProperty, String securityProperty) {
        String seconds = System.getProperty(systemProperty);
        if (seconds != null && seconds.strip().matches("-?\\d+")) {
            Security.setProperty(securityProperty, seconds.strip());
        }
    }
}
