package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.ArrayList;
import java.util.List;

/** One row of the drill: a mode and the fault it is put through. */
public record Scenario(DeliveryMode mode, Fault fault) {

    /**
     * Per mode: its telling crashes (when {@code crashes}), then each external fault (when {@code
     * kills > 0}). The matrix: every crash point in every mode, then every external fault. Faults
     * that need three brokers are left out of a single-broker lab's plan.
     */
    public static List<Scenario> plan(
            List<DeliveryMode> modes,
            boolean crashes,
            boolean matrix,
            int kills,
            List<Fault> external,
            int brokers) {
        List<Scenario> scenarios = new ArrayList<>();
        for (DeliveryMode mode : modes) {
            if (crashes || matrix) {
                (matrix ? Fault.CRASHES : Fault.crashesFor(mode))
                        .forEach(fault -> scenarios.add(new Scenario(mode, fault)));
                (matrix ? Fault.BILLING_CRASHES : Fault.billingCrashesFor(mode))
                        .forEach(fault -> scenarios.add(new Scenario(mode, fault)));
            }
            if (kills > 0) {
                (matrix ? Fault.EXTERNAL : external)
                        .stream()
                                .filter(fault -> brokers >= 3 || !fault.needsThreeBrokers())
                                .forEach(fault -> scenarios.add(new Scenario(mode, fault)));
            }
        }
        return scenarios;
    }
}
