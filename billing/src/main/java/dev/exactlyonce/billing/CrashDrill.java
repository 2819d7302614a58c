package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.server.CrashCountdown;
import dev.exactlyonce.server.ProcessHalt;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * crash_after_messages=N: halts the process right after the N-th order (counted since the drill was
 * armed, a poll batch at a time) reaches the configured crash point. One-shot: the disarm is
 * written durably to exactly-once.settings BEFORE the halt, so the restarted process does not crash
 * again.
 */
@Singleton
class CrashDrill {

    /**
     * The exit status of a fired drill (EX_SOFTWARE), the same as the consumer's; the lab expects
     * it.
     */
    static final int EXIT_CODE = 70;

    private static final Logger LOG = LoggerFactory.getLogger(CrashDrill.class);

    private final SharedBillingConfig config;
    private final BillingMetrics metrics;
    private final ProcessHalt halt;
    private final CrashCountdown<BillingCrashPoint> countdown = new CrashCountdown<>();

    CrashDrill(SharedBillingConfig config, BillingMetrics metrics, ProcessHalt halt) {
        this.config = config;
        this.metrics = metrics;
        this.halt = halt;
    }

    /**
     * Called by the stage (the listener's thread) when {@code orders} orders of a batch reached
     * {@code point}.
     */
    void reached(BillingCrashPoint point, int orders, BillingConfig batchConfig) {
        if (countdown.reached(
                point, orders, batchConfig.getCrashAfterMessages(), batchConfig.getCrashPoint())) {
            fire(batchConfig);
        }
    }

    private void fire(BillingConfig batchConfig) {
        try {
            config.disarmCrashDrill();
        } catch (Exception e) {
            // halting now would crash again after the restart: better not to crash at all
            LOG.error(
                    "crash drill NOT fired: the disarm could not be made durable ({})",
                    e.toString());
            return;
        }
        metrics.crashFired();
        LOG.error(
                "CRASH DRILL: halting with exit code {} after {} orders reached {} in {} (disarmed for the restart)",
                EXIT_CODE,
                countdown.count(),
                countdown.armedPoint(),
                batchConfig.getProcessingMode());
        halt.halt(EXIT_CODE);
    }
}
