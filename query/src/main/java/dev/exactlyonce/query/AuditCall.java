package dev.exactlyonce.query;

import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.AuditResponse;
import dev.exactlyonce.query.audit.AuditAdmission;
import dev.exactlyonce.query.audit.Auditor;
import dev.exactlyonce.query.store.LostConnection;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Audit as a call: its arguments checked, admitted or refused at once ({@link AuditAdmission}: at
 * most {@code app.query.max-concurrent-audits}, RESOURCE_EXHAUSTED beyond, never queued), then the
 * {@link Auditor}'s verdict. The wait ends at one instant fixed here, so a read tried again on
 * another connection does not wait again.
 */
@Singleton
class AuditCall {

    static final int DEFAULT_WAIT_SECONDS = 30;
    static final int MAX_WAIT_SECONDS = 600;

    private final Auditor auditor;
    private final AuditAdmission admission;

    AuditCall(Auditor auditor, AuditAdmission admission) {
        this.auditor = auditor;
        this.admission = admission;
    }

    AuditResponse audit(AuditRequest request) throws Exception {
        int waitSeconds =
                request.hasWaitSeconds() ? request.getWaitSeconds() : DEFAULT_WAIT_SECONDS;
        if (waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
            throw ArgumentChecks.invalid(
                    "wait_seconds", "must be 0.." + MAX_WAIT_SECONDS + ", was " + waitSeconds);
        }
        if (request.hasAcknowledged() && request.getAcknowledged() < 0) {
            throw ArgumentChecks.invalid(
                    "acknowledged", "must be >= 0, was " + request.getAcknowledged());
        }
        OptionalLong acknowledged =
                request.hasAcknowledged()
                        ? OptionalLong.of(request.getAcknowledged())
                        : OptionalLong.empty();
        long waitUntil = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
        try (AuditAdmission.Slot slot = admission.enter()) {
            return LostConnection.readAgainIfLost(
                    "Audit", () -> auditor.audit(waitUntil, acknowledged));
        }
    }
}
