package dev.exactlyonce.query.audit;

import dev.exactlyonce.query.QuerySettings;
import io.grpc.Status;
import jakarta.inject.Singleton;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * At most {@code app.query.max-concurrent-audits} audits at once: each one scans the window's
 * records and holds a PostgreSQL connection, so more are refused with RESOURCE_EXHAUSTED at once,
 * never queued.
 */
@Singleton
public class AuditAdmission {

    private final int limit;
    private final Semaphore running;

    public AuditAdmission(QuerySettings settings) {
        if (settings.maxConcurrentAudits() < 1) {
            throw new IllegalArgumentException(
                    "app.query.max-concurrent-audits must be >= 1, was "
                            + settings.maxConcurrentAudits());
        }
        this.limit = settings.maxConcurrentAudits();
        this.running = new Semaphore(limit);
    }

    /**
     * A slot for one audit, or RESOURCE_EXHAUSTED when all are taken; close it when the audit has
     * answered.
     */
    public Slot enter() {
        if (!running.tryAcquire()) {
            throw Status.RESOURCE_EXHAUSTED
                    .withDescription(
                            "Audit: "
                                    + limit
                                    + " audits are running already "
                                    + "(app.query.max-concurrent-audits); ask again when one has answered")
                    .asRuntimeException();
        }
        return new Slot();
    }

    /** One admitted audit. */
    public final class Slot implements AutoCloseable {
        private final AtomicBoolean released = new AtomicBoolean();

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                running.release();
            }
        }
    }
}
