package dev.exactlyonce.lab.drill;

import java.time.Duration;

/**
 * Breaks the pipeline on purpose and tells when it is back: the lab's own processes, or pods on
 * kind.
 */
public interface PipelineFaults extends AutoCloseable {

    /** Identifies the current consumer processes; changes whenever one of them is restarted. */
    String consumerInstances() throws Exception;

    /**
     * Waits until {@link #consumerInstances()} differs from {@code before} and every consumer
     * serves again.
     */
    void awaitConsumerRestarted(String before, Duration timeout) throws Exception;

    /** Identifies the current billing processes; changes whenever one of them is restarted. */
    String billingInstances() throws Exception;

    /**
     * Waits until {@link #billingInstances()} differs from {@code before} and billing serves again.
     */
    void awaitBillingRestarted(String before, Duration timeout) throws Exception;

    /**
     * Injects one external fault ({@link Fault#EXTERNAL}) and returns, described, once every
     * service serves again.
     */
    String inject(Fault fault, Duration timeout) throws Exception;

    /** Removes what the faults set up (kind: the pauser pods); the pipeline stays as it is. */
    @Override
    default void close() {}
}
