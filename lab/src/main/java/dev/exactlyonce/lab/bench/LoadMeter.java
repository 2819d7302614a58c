package dev.exactlyonce.lab.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/** What the load generator saw: acknowledged and failed orders, call latencies in microseconds. */
final class LoadMeter {

    private final LongAdder acknowledged = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final Histogram latencyMicros =
            new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(5), 3);

    void acknowledged(long orders, long latencyNanos) {
        acknowledged.add(orders);
        latencyMicros.recordValue(
                Math.min(
                        latencyMicros.getHighestTrackableValue(),
                        Math.max(1, TimeUnit.NANOSECONDS.toMicros(latencyNanos))));
    }

    void failed(long orders) {
        failed.add(orders);
    }

    long acknowledged() {
        return acknowledged.sum();
    }

    long failed() {
        return failed.sum();
    }

    double percentileMillis(double percentile) {
        return latencyMicros.getValueAtPercentile(percentile) / 1000.0;
    }

    double maxMillis() {
        return latencyMicros.getMaxValue() / 1000.0;
    }
}
