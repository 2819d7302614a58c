package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.util.ArrayList;
import java.util.List;

/** One row of the drill: a mode and the fault it is put through. */
public record Scenario(DeliveryMode mode, Fault fault) {

    /** Each mode's telling crashes (when {@code crashes}), then a SIGKILL scenario (when {@code kills > 0}). */
    public static List<Scenario> standard(List<DeliveryMode> modes, boolean crashes, int kills) {
        List<Scenario> scenarios = new ArrayList<>();
        for (DeliveryMode mode : modes) {
            if (crashes) {
                Fault.crashesFor(mode).forEach(fault -> scenarios.add(new Scenario(mode, fault)));
            }
            if (kills > 0) {
                scenarios.add(new Scenario(mode, Fault.SIGKILL_CONSUMER));
            }
        }
        return scenarios;
    }
}
