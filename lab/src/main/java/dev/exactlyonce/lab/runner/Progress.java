package dev.exactlyonce.lab.runner;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Prints one line per step of the lab with how long it took: "starting Kafka … ready in 2.6 s". */
public final class Progress {

    private final PrintStream out;

    public Progress(PrintStream out) {
        this.out = out;
    }

    public PrintStream out() {
        return out;
    }

    private final boolean terminal = System.console() != null;
    private boolean liveShown;

    /**
     * A progress line that replaces itself on a terminal (carriage return), one line per update
     * otherwise.
     */
    public void live(String text) {
        synchronized (out) {
            if (terminal) {
                out.print("\r" + text + "\u001b[K");
                liveShown = true;
            } else {
                out.println(text);
            }
            out.flush();
        }
    }

    /** Ends a live line before normal output continues. */
    public void endLive() {
        synchronized (out) {
            if (liveShown) {
                out.println();
                liveShown = false;
            }
        }
    }

    public void line(String format, Object... args) {
        synchronized (out) {
            out.println(String.format(Locale.ROOT, format, args));
            out.flush();
        }
    }

    /** Runs {@code work}, printing "what … done in 1.2 s" (or the failure) on one line. */
    public <T> T step(String what, String done, Callable<T> work) throws Exception {
        long start = System.nanoTime();
        synchronized (out) {
            out.print(what + " … ");
            out.flush();
        }
        try {
            T result = work.call();
            line("%s in %s", done, seconds(System.nanoTime() - start));
            return result;
        } catch (Exception e) {
            line("FAILED after %s: %s", seconds(System.nanoTime() - start), e.getMessage());
            throw e;
        }
    }

    public static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    public static String seconds(Duration duration) {
        return seconds(duration.toNanos());
    }
}
