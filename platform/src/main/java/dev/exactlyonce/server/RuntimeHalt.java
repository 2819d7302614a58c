package dev.exactlyonce.server;

import jakarta.inject.Singleton;

/**
 * Runtime.halt: the JVM stops at once, no shutdown hooks, no finally blocks, nothing more committed
 * or aborted.
 */
@Singleton
public class RuntimeHalt implements ProcessHalt {

    @Override
    public void halt(int status) {
        Runtime.getRuntime().halt(status);
    }
}
