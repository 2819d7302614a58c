package dev.exactlyonce.server;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;

/**
 * {@code app.control.*}: the credential of the control plane, checked by {@link ControlPlaneGuard}.
 *
 * @param token the bearer token control calls must present (env {@code APP_CONTROL_TOKEN}); none or
 *     blank: every control call is refused
 * @param ordersRequireToken placing orders needs the token too (env {@code
 *     APP_CONTROL_ORDERS_REQUIRE_TOKEN})
 * @param readsRequireToken reads need the token too (env {@code APP_CONTROL_READS_REQUIRE_TOKEN})
 */
@ConfigurationProperties("app.control")
public record ControlPlaneSettings(
        @Nullable String token,
        @Bindable(defaultValue = "false") boolean ordersRequireToken,
        @Bindable(defaultValue = "false") boolean readsRequireToken) {

    /** Whether a token is configured at all. */
    public boolean hasToken() {
        return token != null && !token.isBlank();
    }

    /** Whether a call of this class must present the token. */
    public boolean requiresToken(RpcClass rpcClass) {
        return switch (rpcClass) {
            case CONTROL -> true;
            case PLACE_ORDER -> ordersRequireToken;
            case READ -> readsRequireToken;
            case INFRASTRUCTURE -> false;
        };
    }

    @Override
    public String toString() {
        // never the token itself: this record may end up in a log line
        return "ControlPlaneSettings[token="
                + (hasToken() ? "set" : "none")
                + ", ordersRequireToken="
                + ordersRequireToken
                + ", readsRequireToken="
                + readsRequireToken
                + "]";
    }
}
