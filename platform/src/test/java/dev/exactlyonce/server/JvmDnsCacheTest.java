package dev.exactlyonce.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.Security;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JvmDnsCacheTest {

    private final String ttl = Security.getProperty("networkaddress.cache.ttl");
    private final String negativeTtl = Security.getProperty("networkaddress.cache.negative.ttl");

    @AfterEach
    void restore() {
        System.clearProperty(JvmDnsCache.TTL);
        System.clearProperty(JvmDnsCache.NEGATIVE_TTL);
        Security.setProperty("networkaddress.cache.ttl", ttl == null ? "-1" : ttl);
        Security.setProperty(
                "networkaddress.cache.negative.ttl", negativeTtl == null ? "10" : negativeTtl);
    }

    @Test
    void theChartsSystemPropertiesBecomeTheSecurityPropertiesTheJdkReads() {
        // the JDK's own java.security sets the negative TTL, which is why the system property alone
        // did nothing
        assertThat(negativeTtl).isEqualTo("10");
        System.setProperty(JvmDnsCache.TTL, "5");
        System.setProperty(JvmDnsCache.NEGATIVE_TTL, "1");
        JvmDnsCache.apply();
        assertThat(Security.getProperty("networkaddress.cache.ttl")).isEqualTo("5");
        assertThat(Security.getProperty("networkaddress.cache.negative.ttl")).isEqualTo("1");
    }

    @Test
    void withoutThemNothingChanges() {
        JvmDnsCache.apply();
        assertThat(Security.getProperty("networkaddress.cache.negative.ttl"))
                .isEqualTo(negativeTtl);
    }
}
