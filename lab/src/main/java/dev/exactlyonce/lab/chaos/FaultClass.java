package dev.exactlyonce.lab.chaos;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The classes of fault the {@link Nemesis} draws from ({@code --faults pause,kill,...}). */
public enum FaultClass {
    /** SIGSTOP of a service, a Kafka node or PostgreSQL for 11–40 s, then SIGCONT. */
    PAUSE,
    /** SIGKILL of a service; the lab's supervisor restarts it. */
    KILL,
    /** SIGTERM of a service (a clean shutdown); the supervisor restarts it. */
    RESTART,
    /** A cut, black hole, dropped replies or +200 ms latency on one of the fault proxies' links. */
    NETWORK,
    /** One Kafka node SIGKILLed, or two kept down for 10 s. */
    BROKER,
    /** PostgreSQL stopped and started again on the same port and data. */
    POSTGRES;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** "pause,kill" → {PAUSE, KILL}; "all" → every class. */
    public static Set<FaultClass> parse(List<String> names) {
        Set<FaultClass> classes = EnumSet.noneOf(FaultClass.class);
        for (String name : names) {
            String n = name.trim();
            if (n.equalsIgnoreCase("all")) {
                classes.addAll(EnumSet.allOf(FaultClass.class));
            } else if (!n.isEmpty()) {
                classes.add(FaultClass.valueOf(n.toUpperCase(Locale.ROOT)));
            }
        }
        return classes;
    }
}
