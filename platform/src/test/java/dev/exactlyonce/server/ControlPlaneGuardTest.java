package dev.exactlyonce.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** The credential check itself; the services' tests call it over gRPC against the real server. */
class ControlPlaneGuardTest {

    private static final String RESET = "exactlyonce.v1.QueryService/Reset";

    private final ControlPlaneGuard guard =
            new ControlPlaneGuard(new ControlPlaneSettings("s3cret", false, false));

    @Test
    void theRightTokenPasses() {
        assertThat(guard.check("Bearer s3cret", RESET)).isNull();
        assertThat(guard.check("bearer s3cret", RESET))
                .as("the scheme is case-insensitive")
                .isNull();
    }

    @Test
    void noHeaderOrAnotherSchemeIsUnauthenticated() {
        assertThat(guard.check(null, RESET).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(guard.check("Basic czNjcmV0", RESET).getCode())
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(guard.check("s3cret", RESET).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    @Test
    void aWrongTokenIsPermissionDenied() {
        assertThat(guard.check("Bearer s3cre", RESET).getCode())
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(guard.check("Bearer s3cret2", RESET).getCode())
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(guard.check("Bearer ", RESET).getCode())
                .isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void withoutAConfiguredTokenEveryCallThatNeedsOneIsRefused() {
        for (String none : new String[] {null, "", "  "}) {
            ControlPlaneGuard open =
                    new ControlPlaneGuard(new ControlPlaneSettings(none, false, false));
            Status refusal = open.check("Bearer " + none, RESET);
            assertThat(refusal.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(refusal.getDescription()).contains("no app.control.token");
        }
    }

    @Test
    void theSwitchesCloseOrdersAndReads() {
        ControlPlaneSettings open = new ControlPlaneSettings("t", false, false);
        assertThat(open.requiresToken(RpcClass.PLACE_ORDER)).isFalse();
        assertThat(open.requiresToken(RpcClass.READ)).isFalse();
        assertThat(open.requiresToken(RpcClass.CONTROL)).isTrue();
        assertThat(open.requiresToken(RpcClass.INFRASTRUCTURE)).isFalse();
        ControlPlaneSettings closed = new ControlPlaneSettings("never-logged", true, true);
        assertThat(closed.requiresToken(RpcClass.PLACE_ORDER)).isTrue();
        assertThat(closed.requiresToken(RpcClass.READ)).isTrue();
        assertThat(closed.requiresToken(RpcClass.INFRASTRUCTURE)).isFalse();
        assertThat(closed.toString()).doesNotContain("never-logged").contains("token=set");
    }
}
