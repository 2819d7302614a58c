package dev.exactlyonce.server;

/**
 * The counting half of a crash drill (crash_after_messages=N at crash_point P), shared by the
 * consumer and billing: counts the messages that reached P since the drill was armed, a poll batch
 * at a time, and says when the N-th did. Arming anew (another N or P) or disarming starts the count
 * from zero.
 *
 * @param <P> the service's crash point enum
 */
public final class CrashCountdown<P> {

    private int armedAfter;
    private P armedPoint;
    private long reached;

    /**
     * {@code messages} messages of a batch reached {@code point} under settings armed at ({@code
     * after}, {@code at}): fire now?
     */
    public boolean reached(P point, int messages, int after, P at) {
        if (after != armedAfter || at != armedPoint) {
            armedAfter = after;
            armedPoint = at;
            reached = 0;
        }
        if (armedAfter <= 0 || point != armedPoint) {
            return false;
        }
        reached += messages;
        return reached >= armedAfter;
    }

    public long count() {
        return reached;
    }

    public int armedAfter() {
        return armedAfter;
    }

    public P armedPoint() {
        return armedPoint;
    }
}
