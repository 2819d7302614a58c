package dev.exactlyonce.kafka;

import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * The one classification of a transactional producer's errors, as the KafkaProducer javadoc and
 * Kafka's own exactly-once examples give it. Fatal: the producer can do nothing more, not even
 * abort; only closing it and creating a new one (whose initTransactions fences any zombie with the
 * same transactional.id and settles its open transaction) goes on. Every other KafkaException of a
 * transaction is abortable: abort, and nothing of the transaction becomes visible to read_committed
 * readers. A {@code TimeoutException} from commitTransaction is neither: the outcome is unknown,
 * and only retrying the commit (or replacing the producer) tells.
 */
public final class TransactionErrors {

    private TransactionErrors() {}

    /** True when the producer that threw {@code error} must be closed and replaced. */
    public static boolean isFatal(Throwable error) {
        return error instanceof ProducerFencedException
                // the coordinator no longer maps the transactional id to this producer id (it
                // expired after transactional.id.expiration.ms idle, or another incarnation took
                // it over): the client is left in a fatal state, even abortTransaction is refused
                // (TransactionalIdExpiryTest)
                || error instanceof InvalidPidMappingException
                || error instanceof OutOfOrderSequenceException
                || error instanceof AuthorizationException
                || error instanceof UnsupportedVersionException;
    }
}
