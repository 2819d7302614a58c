package dev.exactlyonce.consumer;

import dev.exactlyonce.server.ProcessHalt;
import dev.exactlyonce.server.RuntimeHalt;
import io.micronaut.context.annotation.Replaces;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tests run the crash drill in this JVM: instead of Runtime.halt, the poll-loop thread dies right
 * here (an Error nothing catches on the way out), so nothing after the crash point is committed;
 * the test then starts a fresh application context, which is the restart. The real halt is
 * exercised by the lab's drills.
 */
@Singleton
@Replaces(RuntimeHalt.class)
class InProcessHalt implements ProcessHalt {

    /** Thrown instead of halting. */
    static final class Halted extends Error {
        Halted(int status) {
            super("process halted with exit code " + status + " (in-process test)");
        }
    }

    private final AtomicInteger fired = new AtomicInteger();
    private volatile int lastStatus = -1;

    /**
     * Halts once, as a process does: a later call returns (the poll loop's own halt when the Error
     * it meets is this one's, a crash drill that fired).
     */
    @Override
    public void halt(int status) {
        if (!fired.compareAndSet(0, 1)) {
            return;
        }
        lastStatus = status;
        throw new Halted(status);
    }

    int fired() {
        return fired.get();
    }

    int lastStatus() {
        return lastStatus;
    }
}
