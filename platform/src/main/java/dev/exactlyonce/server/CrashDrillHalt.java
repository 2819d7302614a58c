package dev.exactlyonce.server;

import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a crash drill fires, the same in every service: the disarm is made durable first, then what
 * the service records of the crash, then the process halts with {@link #EXIT_CODE}. A drill whose
 * disarm could not be stored does not fire: the restarted process would read the armed drill and
 * crash again.
 */
@Singleton
public class CrashDrillHalt {

    /**
     * The exit status of a fired drill (EX_SOFTWARE); the lab's supervisor and drills expect it.
     */
    public static final int EXIT_CODE = 70;

    private static final Logger LOG = LoggerFactory.getLogger(CrashDrillHalt.class);

    private final ProcessHalt halt;

    public CrashDrillHalt(ProcessHalt halt) {
        this.halt = halt;
    }

    /**
     * The service's durable one-shot disarm (an Update*Config that sets crash_after_messages 0).
     */
    @FunctionalInterface
    public interface Disarm {
        void disarm() throws Exception;
    }

    /**
     * Disarms, records, halts; returns (without halting) only when the disarm failed.
     *
     * @param record what the service keeps of the crash (a counter, a row), after the disarm
     * @param what for the log line, e.g. "12 orders reached AFTER_SEND in EXACTLY_ONCE"
     */
    public void fire(Disarm disarm, Runnable record, String what) {
        try {
            disarm.disarm();
        } catch (Exception e) {
            // halting now would crash again after the restart: better not to crash at all
            LOG.error(
                    "crash drill NOT fired: the disarm could not be made durable ({})",
                    e.toString());
            return;
        }
        record.run();
        LOG.error(
                "CRASH DRILL: halting with exit code {} after {} (disarmed for the restart)",
                EXIT_CODE,
                what);
        halt.halt(EXIT_CODE);
    }
}
