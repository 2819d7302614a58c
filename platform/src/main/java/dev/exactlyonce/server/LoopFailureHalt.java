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
 */
@Singleton
public class LoopFailureHalt {

    /** The exit status of a process whose loop died (71; a fired crash drill exits with 70). */
    public static final int EXIT_CODE = 71;

    private static final Logger LOG = LoggerFactory.getLogger(LoopFailureHalt.class);

    private final ProcessHalt halt;

    public LoopFailureHalt(ProcessHalt halt) {
        this.halt = halt;
    }

    /**
     * Halts the process.
     *
     * @param loop names the loop in the log, e.g. "the consumer's poll loop"
     */
    public void halt(String loop, Throwable cause) {
        LOG.error(
                "{} died ({}): halting with exit code {} so that the process is started again",
                loop,
                cause.toString(),
                EXIT_CODE);
        halt.halt(EXIT_CODE);
    }
}
