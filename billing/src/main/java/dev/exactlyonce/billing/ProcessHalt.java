package dev.exactlyonce.billing;

/**
 * How a fired crash drill ends the process. The real one is {@link RuntimeHalt}; a test replaces
 * this bean to "crash" in-process (abandon the producers, stop the listener) and then starts a
 * fresh context.
 */
public interface ProcessHalt {

    /** Does not return. */
    void halt(int status);
}
