package dev.exactlyonce.server;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.io.ResourceResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Optional TLS for gRPC, served by micronaut-grpc from {@code grpc.server.ssl.cert-chain} and
 * {@code grpc.server.ssl.private-key} (PEM files; env GRPC_SERVER_SSL_CERT_CHAIN and
 * GRPC_SERVER_SSL_PRIVATE_KEY, each {@code file:/path}). micronaut-grpc serves plaintext when
 * neither file can be found; this check makes that a start-up failure instead: asked for TLS, a
 * service serves TLS or does not start.
 */
@Context
@Requires(property = GrpcTls.CERT_CHAIN)
public class GrpcTls {

    static final String CERT_CHAIN = "grpc.server.ssl.cert-chain";
    static final String PRIVATE_KEY = "grpc.server.ssl.private-key";
    private static final Logger LOG = LoggerFactory.getLogger(GrpcTls.class);

    public GrpcTls(
            @Property(name = CERT_CHAIN) String certChain,
            @Property(name = PRIVATE_KEY) @Nullable String privateKey,
            ResourceResolver resources) {
        require(CERT_CHAIN, certChain, resources);
        require(PRIVATE_KEY, privateKey, resources);
        LOG.info(
                "gRPC serves TLS only: certificate chain {}, private key {}",
                certChain,
                privateKey);
    }

    private static void require(
            String property, @Nullable String location, ResourceResolver resources) {
        if (location == null || location.isBlank()) {
            throw new ConfigurationException(
                    "gRPC TLS needs both "
                            + CERT_CHAIN
                            + " and "
                            + PRIVATE_KEY
                            + "; "
                            + property
                            + " is not set");
        }
        if (resources.getResource(location).isEmpty()) {
            throw new ConfigurationException(
                    property
                            + " = "
                            + location
                            + " is not readable"
                            + (location.startsWith("file:") || location.startsWith("classpath:")
                                    ? ""
                                    : "; a file is named file:" + location)
                            + ". Refusing to serve gRPC in plaintext when TLS was asked for.");
        }
    }
}
