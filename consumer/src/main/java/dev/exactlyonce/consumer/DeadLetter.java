package dev.exactlyonce.consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record that goes to the dead_letters table, in the batch's transaction: undecodable, breaks the
 * order contract, refused by PostgreSQL for a reason that will not change, or failed max_attempts
 * times.
 *
 * @param messageId the record's message id when it had a valid one (the audit matches on it), else
 *     null
 * @param reason why, e.g. {@code items[0].name: must not contain control characters, got U+0000 at
 *     character 3}
 */
record DeadLetter(
        ConsumerRecord<String, byte[]> source, String messageId, String reason, int attempts) {}
