package dev.exactlyonce.billing;

import dev.exactlyonce.grpc.v1.BillingConfig;
import dev.exactlyonce.grpc.v1.BillingCrashPoint;
import dev.exactlyonce.server.CrashCountdown;
import dev.exactlyonce.server.CrashDrillHalt;
import jakarta.inject.Singleton;

/**
 * crash_after_messages=N: halts the process right after the N-th order (counted since the drill was
 * armed, a poll batch at a time) reaches the configured crash point. One-shot: the disarm is
 * written durably to exactly-once.settings BEFORE the halt, so the restarted process does not crash
 * again.
 */
@Singleton
class CrashDrill {

    private final SharedBillingConfig config;
    private final BillingMetrics metrics;
    private final CrashDrillHalt halt;
    private final CrashCountdown<BillingCrashPoint> countdown = new CrashCountdown<>();

    CrashDrill(SharedBillingConfig config, BillingMetrics metrics, CrashDrillHalt halt) {
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
        halt.fire(
                config::disarmCrashDrill,
                metrics::crashFired,
                countdown.count()
                        + " orders reached "
                        + countdown.armedPoint()
                        + " in "
                        + batchConfig.getProcessingMode());
    }
}
