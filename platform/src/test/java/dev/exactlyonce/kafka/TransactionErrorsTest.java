package dev.exactlyonce.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
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
    void everythingElseAborts() {
        // KIP-588: a bumped epoch aborts the transaction, the producer goes on
        assertThat(TransactionErrors.isFatal(new InvalidProducerEpochException("bumped")))
                .isFalse();
        // the group moved on (a zombie's offsets): abort and read the batch again
        assertThat(TransactionErrors.isFatal(new CommitFailedException("rebalanced"))).isFalse();
        assertThat(TransactionErrors.isFatal(new TimeoutException("no answer"))).isFalse();
        assertThat(TransactionErrors.isFatal(new KafkaException("anything else"))).isFalse();
    }
}
