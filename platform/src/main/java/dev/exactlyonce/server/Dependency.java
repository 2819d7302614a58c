package dev.exactlyonce.server;

/**
 * Something a service needs before it can serve (Kafka, PostgreSQL), checked by {@link
 * DependencyReadiness}.
 */
public interface Dependency {

    /** e.g. "Kafka". */
    String name();

    /**
     * Where it is expected, e.g. "127.0.0.1:9092", for the log line that says it is unreachable.
     */
    String location();

    /**
     * Returns normally when reachable; throws with the reason otherwise. Must finish in a few
     * seconds.
     */
    void check() throws Exception;
}
