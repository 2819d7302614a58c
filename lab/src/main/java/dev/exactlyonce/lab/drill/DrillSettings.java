package dev.exactlyonce.lab.drill;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.time.Duration;
import java.util.List;

/**
 * @param orders orders per scenario
 * @param crashAfter the crash drill fires after this many messages (less than {@code orders})
 * @param clients concurrent PlaceOrder clients
 * @param kills SIGKILLs of a consumer per SIGKILL scenario; 0 skips those scenarios
 * @param crashes whether to run the consumer's own crash drills
 */
public record DrillSettings(List<DeliveryMode> modes, int orders, int crashAfter, int clients, int kills,
                            boolean crashes, Duration recoveryTimeout) {

    public DrillSettings {
        if (orders < 1 || crashAfter < 1 || crashAfter >= orders) {
            throw new IllegalArgumentException("need 1 <= crash-after < orders, got crash-after " + crashAfter
                    + " and orders " + orders);
        }
        if (clients < 1 || kills < 0) {
            throw new IllegalArgumentException("clients must be >= 1 and kills >= 0");
        }
        modes = List.copyOf(modes);
    }

    List<Fault> faults(DeliveryMode mode) {
        var faults = new java.util.ArrayList<Fault>();
        if (crashes) {
            faults.addAll(Fault.crashesFor(mode));
        }
        if (kills > 0) {
            faults.add(Fault.SIGKILL_CONSUMER);
        }
        return faults;
    }
}
