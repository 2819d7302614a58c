package dev.exactlyonce.server;

/**
 * How a fired crash drill ends the process. The real one is {@link RuntimeHalt}; a test replaces
 * this bean to "crash" in-process instead (stop the loop, abandon the clients), then starts a fresh
 * application context: the restart.
 */
public interface ProcessHalt {

    /** Does not return. */
    void halt(int status);
}
