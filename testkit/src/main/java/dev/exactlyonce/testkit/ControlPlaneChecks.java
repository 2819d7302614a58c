package dev.exactlyonce.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The checks every service's ControlPlaneTest makes: a guarded call is refused with no token
 * (UNAUTHENTICATED) and with a wrong one (PERMISSION_DENIED) and answered with {@link
 * ControlToken#TEST}; an open call is answered for anybody.
 */
public final class ControlPlaneChecks {

    private static final ControlToken WRONG = new ControlToken("not-the-token");

    private ControlPlaneChecks() {}

    /** The status a call ended with: OK when it returned. */
    public static Status.Code code(Runnable call) {
        StatusRuntimeException refused =
                catchThrowableOfType(StatusRuntimeException.class, call::run);
        return refused == null ? Status.Code.OK : refused.getStatus().getCode();
    }

    /**
     * Asserts that {@code call} needs the token: refused anonymously and with a wrong token, then
     * returns its answer with the right one.
     */
    public static <S extends AbstractStub<S>, R> R needsToken(S anonymous, Function<S, R> call) {
        assertThat(code(() -> call.apply(anonymous)))
                .as("no token")
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(code(() -> call.apply(WRONG.on(anonymous))))
                .as("a wrong token")
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        return call.apply(ControlToken.TEST.on(anonymous));
    }

    /** Asserts that {@code call} is answered with no token at all, and returns the answer. */
    public static <S extends AbstractStub<S>, R> R isOpen(S anonymous, Function<S, R> call) {
        R answer = call.apply(anonymous);
        assertThat(answer).as("an anonymous caller's answer").isNotNull();
        return answer;
    }

    /** A plaintext channel to 127.0.0.1:{@code port} for {@code use}, shut down afterwards. */
    public static void onChannel(int port, Consumer<ManagedChannel> use) {
        ManagedChannel channel =
                ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            use.accept(channel);
        } finally {
            channel.shutdownNow();
        }
    }
}
