package dev.exactlyonce.query.audit;

/**
 * What the audit counted in Kafka and PostgreSQL for one window.
 *
 * @param committedDistinct      distinct message ids committed in topic orders (read_committed)
 * @param committedNotStored     of those the consumer has passed, how many are neither stored nor dead-lettered
 * @param storedRows             rows in orders
 * @param storedDistinct         distinct message ids in orders
 * @param deadLettered           records in orders.dlq
 * @param deadLetteredNotStored  distinct dead-lettered message ids not in orders
 */
public record AuditCounts(long committedDistinct, long committedNotStored, long storedRows, long storedDistinct,
                          long deadLettered, long deadLetteredNotStored) {
}
