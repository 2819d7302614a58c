package dev.exactlyonce.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.IllegalGenerationException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.junit.jupiter.api.Test;

class TransactionErrorsTest {

    @Test
    void aFencedOrBrokenProducerIsReplaced() {
        assertThat(TransactionErrors.isFatal(new ProducerFencedException("fenced"))).isTrue();
        assertThat(TransactionErrors.isFatal(new OutOfOrderSequenceException("gap"))).isTrue();
        // the transactional id expired (or another incarnation holds it)
        assertThat(TransactionErrors.isFatal(new InvalidPidMappingException("expired"))).isTrue();
        assertThat(TransactionErrors.isFatal(new TransactionalIdAuthorizationException("acl")))
                .isTrue();
        assertThat(TransactionErrors.isFatal(new TopicAuthorizationException("acl"))).isTrue();
        assertThat(TransactionErrors.isFatal(new UnsupportedVersionException("old broker")))
                .isTrue();
    }

    @Test
    void aFatalErrorStaysFatalWhenALaterCallWrapsIt() {
        // what every call after the fatal one throws (TransactionManager.maybeFailWithError)
        KafkaException errorState =
                new KafkaException(
                        "Cannot execute transactional method because we are in an error state",
                        new OutOfOrderSequenceException("gap"));
        assertThat(TransactionErrors.isFatal(errorState)).isTrue();
        assertThat(
                        TransactionErrors.isFatal(
                                new KafkaException("wrapped", new KafkaException("abortable"))))
                .isFalse();
    }

    @Test
    void everythingElseAborts() {
        // KIP-588: a bumped epoch aborts the transaction, the producer goes on
        assertThat(TransactionErrors.isFatal(new InvalidProducerEpochException("bumped")))
                .isFalse();
        // the group moved on (a zombie's offsets): abort and read the batch again
        assertThat(TransactionErrors.isFatal(new CommitFailedException("rebalanced"))).isFalse();
        assertThat(TransactionErrors.isFatal(new TimeoutException("no answer"))).isFalse();
        assertThat(TransactionErrors.isFatal(new KafkaException("anything else"))).isFalse();
    }

    @Test
    void theGroupsRefusalsOfTheOffsetsAbortNeverReplaceTheProducer() {
        // sendOffsetsToTransaction under a generation or member epoch that moved (KIP-848 on Kafka
        // 4.2: KIP-1251), as the producer throws them and wrapped in its error state
        List<KafkaException> refusals =
                List.of(
                        new CommitFailedException(
                                "Transaction offset Commit failed due to consumer group metadata"
                                        + " mismatch: The coordinator is not aware of this member."),
                        new IllegalGenerationException("member epoch moved"),
                        new UnknownMemberIdException("member expired"),
                        new FencedInstanceIdException("static member replaced"));
        for (KafkaException refusal : refusals) {
            KafkaException errorState =
                    new KafkaException(
                            "Cannot execute transactional method because we are in an error state",
                            refusal);
            assertThat(TransactionErrors.isGroupRefusal(refusal)).as(refusal.toString()).isTrue();
            assertThat(TransactionErrors.isGroupRefusal(errorState))
                    .as(errorState.toString())
                    .isTrue();
            assertThat(TransactionErrors.isFatal(refusal)).as(refusal.toString()).isFalse();
            assertThat(TransactionErrors.isFatal(errorState)).as(errorState.toString()).isFalse();
        }
        assertThat(TransactionErrors.isGroupRefusal(new ProducerFencedException("fenced")))
                .isFalse();
        assertThat(TransactionErrors.isGroupRefusal(new TimeoutException("no answer"))).isFalse();
    }
}
