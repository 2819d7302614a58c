package dev.exactlyonce.producer;

import java.util.concurrent.ThreadFactory;

/** Named daemon threads for the reply executors: they never keep a stopping JVM alive. */
final class DaemonThreads {

    private DaemonThreads() {}

    static ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
