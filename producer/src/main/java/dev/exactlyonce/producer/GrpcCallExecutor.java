package dev.exactlyonce.producer;

import io.grpc.ServerBuilder;
import io.micronaut.context.event.BeanCreatedEvent;
import io.micronaut.context.event.BeanCreatedEventListener;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;

/**
 * The threads that run the producer's gRPC handlers: a small work-stealing pool instead of
 * Micronaut's IO pool, which gRPC gets by default.
 *
 * <p>Why: grpc-java hands every event of a call (start, message, half-close, completion) to the
 * server's executor. The IO pool is a cached pool over a SynchronousQueue, so nearly every event
 * unparks an idle thread and parks it again afterwards; at 5,000–7,000 calls/s async-profiler found
 * 68% of those threads' CPU in that park/unpark (about 34 µs of CPU per order, a third of the
 * producer's). The order handlers never wait for Kafka (replies come from completions), so a pool
 * of a few threads that keep running while work is queued does the same work without the wake-ups.
 */
@Singleton
class GrpcCallExecutor implements BeanCreatedEventListener<ServerBuilder<?>> {

    static final String THREAD_PREFIX = "grpc-call-";

    private final ForkJoinPool pool =
            new ForkJoinPool(
                    threads(),
                    pool -> {
                        ForkJoinWorkerThread thread =
                                ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                        thread.setName(THREAD_PREFIX + thread.getPoolIndex());
                        return thread;
                    },
                    null,
                    true); // asyncMode: FIFO for event-style tasks that are never joined

    @Override
    public ServerBuilder<?> onCreated(BeanCreatedEvent<ServerBuilder<?>> event) {
        return event.getBean().executor(pool);
    }

    /**
     * As many as cores, at least 2: UpdateProducerConfig does wait (until exactly-once.settings
     * stored the change, at most 20 s), and a mode switch holds order calls briefly; the other
     * thread keeps serving meanwhile.
     */
    private static int threads() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    @PreDestroy
    void close() throws InterruptedException {
        pool.shutdown();
        pool.awaitTermination(5, TimeUnit.SECONDS);
    }
}
