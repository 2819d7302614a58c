package dev.exactlyonce.lab.drill;

import java.time.Duration;
import java.util.List;

/**
 * @param scenarios the rows to run, in order
 * @param orders orders per scenario (a fault scenario sends on until its last strike has recovered)
 * @param crashAfter the crash drill fires after this many messages (less than {@code orders})
 * @param clients concurrent PlaceOrder clients
 * @param kills SIGKILLs of a consumer per SIGKILL scenario
 * @param recoveryTimeout how long a restart, a crash or draining may take
 */
public record DrillSettings(
        List<Scenario> scenarios,
        int orders,
        int crashAfter,
        int clients,
        int kills,
        Duration recoveryTimeout) {

    public DrillSettings {
        if (orders < 1 || crashAfter < 1 || crashAfter >= orders) {
            throw new IllegalArgumentException(
                    "need 1 <= crash-after < orders, got crash-after "
                            + crashAfter
                            + " and orders "
                            + orders);
        }
        if (clients < 1 || kills < 0) {
            throw new IllegalArgumentException("clients must be >= 1 and kills >= 0");
        }
        scenarios = List.copyOf(scenarios);
    }
}
