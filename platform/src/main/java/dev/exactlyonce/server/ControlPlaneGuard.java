package dev.exactlyonce.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's lock, one gRPC server interceptor in every service (micronaut-grpc adds every
 * {@link ServerInterceptor} bean to the server). Each call is classified by {@link RpcClasses}; a
 * call whose class needs the token ({@link ControlPlaneSettings#requiresToken}) must carry {@code
 * authorization: Bearer <token>}:
 *
 * <ul>
 *   <li>no such header: {@code UNAUTHENTICATED};
 *   <li>a different token: {@code PERMISSION_DENIED} (SHA-256 digests compared in constant time);
 *   <li>no token configured on this server: {@code UNAUTHENTICATED} for every such call (fail
 *       closed).
 * </ul>
 */
@Singleton
public class ControlPlaneGuard implements ServerInterceptor {

    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final String BEARER = "Bearer ";
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlaneGuard.class);

    private final ControlPlaneSettings settings;
    private final byte[] tokenDigest;

    public ControlPlaneGuard(ControlPlaneSettings settings) {
        this.settings = settings;
        this.tokenDigest = settings.hasToken() ? sha256(settings.token().trim()) : null;
        LOG.info(
                "control plane: {}; placing orders {}, reads {}",
                settings.hasToken()
                        ? "control calls need the bearer token (app.control.token)"
                        : "no app.control.token (env APP_CONTROL_TOKEN) set, every control call is refused",
                settings.ordersRequireToken() ? "needs the token" : "open",
                settings.readsRequireToken() ? "need the token" : "open");
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        RpcClass rpcClass = RpcClasses.of(method);
        if (!settings.requiresToken(rpcClass)) {
            return next.startCall(call, headers);
        }
        Status refusal = check(headers.get(AUTHORIZATION), method);
        if (refusal == null) {
            return next.startCall(call, headers);
        }
        LOG.debug("refused {} ({}): {}", method, rpcClass, refusal);
        call.close(refusal, new Metadata());
        return new ServerCall.Listener<>() {};
    }

    /** Null when the presented header carries this server's token, else the refusal. */
    Status check(String authorization, String method) {
        if (tokenDigest == null) {
            return Status.UNAUTHENTICATED.withDescription(
                    method
                            + " is refused: this server has no app.control.token"
                            + " (env APP_CONTROL_TOKEN), so no call that needs the token can be made");
        }
        if (authorization == null
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Status.UNAUTHENTICATED.withDescription(
                    method + " needs the header 'authorization: Bearer <token>'");
        }
        String presented = authorization.substring(BEARER.length()).trim();
        if (!MessageDigest.isEqual(tokenDigest, sha256(presented))) {
            return Status.PERMISSION_DENIED.withDescription(
                    method + ": the bearer token is not this server's");
        }
        return null;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
