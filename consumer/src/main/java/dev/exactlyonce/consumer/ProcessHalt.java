package dev.exactlyonce.consumer;

/**
 * How a fired crash drill ends the process. The real one is {@link RuntimeHalt}; a test replaces
 * this bean to stop the poll loop in-process instead, then starts a fresh application context.
 */
public interface ProcessHalt {

    /** Does not return. */
    void halt(int status);
}
