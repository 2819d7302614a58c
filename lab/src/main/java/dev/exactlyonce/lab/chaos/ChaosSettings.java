package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * One chaos run: the nemesis's seed, how long it strikes, with which fault classes, the mode, the
 * load, and where history.jsonl and verdict.md go.
 */
public record ChaosSettings(
        long seed,
        Duration duration,
        Set<FaultClass> faults,
        DeliveryMode mode,
        double ordersPerSecond,
        int clients,
        Duration drainTimeout,
        Path out) {}
