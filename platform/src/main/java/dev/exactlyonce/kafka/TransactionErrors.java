package dev.exactlyonce.kafka;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.IllegalGenerationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * The one classification of a transactional producer's errors, as the KafkaProducer javadoc and
 * Kafka's own exactly-once examples give it. Fatal: the producer can do nothing more, not even
 * abort; only closing it and creating a new one (whose initTransactions fences any zombie with the
 * same transactional.id and settles its open transaction) goes on. Every other KafkaException of a
 * transaction is abortable: abort, and nothing of the transaction becomes visible to read_committed
 * readers. A {@code TimeoutException} from commitTransaction is neither: the outcome is unknown,
 * and only retrying the commit (or replacing the producer) tells.
 *
 * <p>The group's refusals of a transaction's offsets ({@link #isGroupRefusal}) are abortable, never
 * fatal: the broker rejects {@code sendOffsetsToTransaction} when the consumer's group metadata is
 * no longer the group's. With the classic protocol that means the generation is over (a zombie);
 * with the consumer protocol (KIP-848) on Kafka 4.2 it also happens to a member that keeps its
 * partitions, whenever its member epoch moves during the call (KIP-1251, fixed in Kafka 4.3).
 * Either way: abort, and read the batch again from the group's view.
 */
public final class TransactionErrors {

    private TransactionErrors() {}

    /**
     * True when the group coordinator refused a transaction's offsets, {@code error} or a cause of
     * it: {@link CommitFailedException} (the producer's wording of ILLEGAL_GENERATION and
     * UNKNOWN_MEMBER_ID), {@link IllegalGenerationException}, {@link UnknownMemberIdException},
     * {@link FencedInstanceIdException}. Abortable: see the class comment.
     */
    public static boolean isGroupRefusal(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof CommitFailedException
                    || e instanceof IllegalGenerationException
                    || e instanceof UnknownMemberIdException
                    || e instanceof FencedInstanceIdException) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the producer that threw {@code error} must be closed and replaced: {@code error} or
     * a cause of it. Once a producer has failed fatally, its later calls throw a KafkaException
     * ("Cannot execute transactional method because we are in an error state") whose cause is the
     * fatal error (only a fencing is thrown unwrapped).
     */
    public static boolean isFatal(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof ProducerFencedException
                    // the coordinator no longer maps the transactional id to this producer id (it
                    // expired after transactional.id.expiration.ms idle, or another incarnation
                    // took it over): the client is left in a fatal state, even abortTransaction
                    // is refused (TransactionalIdExpiryTest)
                    || e instanceof InvalidPidMappingException
                    || e instanceof OutOfOrderSequenceException
                    || e instanceof AuthorizationException
                    || e instanceof UnsupportedVersionException) {
                return true;
            }
        }
        return false;
    }
}
