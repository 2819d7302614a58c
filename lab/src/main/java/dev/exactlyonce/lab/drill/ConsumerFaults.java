package dev.exactlyonce.lab.drill;

import java.time.Duration;

/** Kills consumer processes and tells when they are back: the lab's own children, or pods on kind. */
public interface ConsumerFaults {

    /** SIGKILL a consumer; returns what was killed, for the log. */
    String kill() throws Exception;

    /** Identifies the current consumer processes; changes whenever one of them is restarted. */
    String instances() throws Exception;

    /** Waits until {@link #instances()} differs from {@code before} and every consumer serves again. */
    void awaitRestarted(String before, Duration timeout) throws Exception;
}
