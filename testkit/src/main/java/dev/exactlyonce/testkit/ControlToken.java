package dev.exactlyonce.testkit;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.stub.AbstractStub;
import java.util.Map;

/**
 * The control plane's credential on the client side: sends {@code authorization: Bearer <token>}
 * with every call of a channel ({@code ManagedChannelBuilder.intercept(token)}) or a stub ({@link
 * #on}). {@link #TEST} is the one tests use; a service under test gets it through {@link
 * #serverProperties()}.
 */
public record ControlToken(String value) implements ClientInterceptor {

    /**
     * The token every service test configures ({@code app.control.token}) and its clients present.
     */
    public static final ControlToken TEST = new ControlToken("testkit-control-token-not-a-secret");

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    public ControlToken {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a control token must not be empty");
        }
        value = value.trim();
    }

    /** What a service under test needs to expect this token: {@code app.control.token}. */
    public Map<String, String> serverProperties() {
        return Map.of("app.control.token", value);
    }

    /** The stub, sending this token with each of its calls. */
    public <S extends AbstractStub<S>> S on(S stub) {
        return stub.withInterceptors(this);
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
            MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                headers.put(AUTHORIZATION, "Bearer " + value);
                super.start(listener, headers);
            }
        };
    }

    @Override
    public String toString() {
        return "ControlToken[" + value.length() + " characters]";
    }
}
