package dev.exactlyonce.server;

import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a processing loop that died of something nobody expected (a bug, an {@link Error}) ends its
 * process: it halts with {@link #EXIT_CODE}, and its supervisor (Kubernetes' {@code restartPolicy:
 * Always}, the lab's) starts a fresh one, which goes on from what was committed, the same recovery
 * as a killed pod's. Left alive, the process would answer gRPC and its liveness probe for ever with
 * nothing processed.
 *
 * <p>Not after a crash drill fired: that is a halt already (in a test, an in-process one that ends
 * the loop the same way).
 */
@Singleton
public class LoopFailureHalt {

    /** The exit status of a process whose loop died (71; a fired crash drill exits with 70). */
    public static final int EXIT_CODE = 71;

    private static final Logger LOG = LoggerFactory.getLogger(LoopFailureHalt.class);

    private final ProcessHalt halt;
    private final CrashDrillHalt crashDrill;

    public LoopFailureHalt(ProcessHalt halt, CrashDrillHalt crashDrill) {
        this.halt = halt;
        this.crashDrill = crashDrill;
    }

    /**
     * Halts the process, unless a crash drill fired (then it returns).
     *
     * @param loop names the loop in the log, e.g. "the consumer's poll loop"
     */
    public void halt(String loop, Throwable cause) {
        if (crashDrill.fired()) {
            return;
        }
        LOG.error(
                "{} died ({}): halting with exit code {} so that the process is started again",
                loop,
                cause.toString(),
                EXIT_CODE);
        halt.halt(EXIT_CODE);
    }
}
