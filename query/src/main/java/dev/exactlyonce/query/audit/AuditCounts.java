package dev.exactlyonce.query.audit;

/**
 * What the audit counted in Kafka and in one leg's store (PostgreSQL's orders, or billing's
 * invoices) for one window. Every count but the two named "records"/"rows" counts distinct orders
 * (message ids).
 *
 * @param committedDistinct distinct message ids committed in topic orders in the window
 *     (read_committed)
 * @param committedNotStored of those, the ones the leg's reader has passed with every record of
 *     them and that are neither stored nor dead-lettered: lost
 * @param inFlight of those, the ones neither stored nor dead-lettered with a record the leg's
 *     reader has not reached yet
 * @param storedRows rows (invoices) stored, duplicates included
 * @param storedDistinct distinct message ids stored
 * @param deadLetterRecords dead letters (rows of dead_letters, records of billing.dlq)
 * @param deadLettered distinct dead-lettered message ids never stored
 * @param unidentifiedDeadLetters dead letters without a readable message id (each counts as one
 *     order)
 */
public record AuditCounts(
        long committedDistinct,
        long committedNotStored,
        long inFlight,
        long storedRows,
        long storedDistinct,
        long deadLetterRecords,
        long deadLettered,
        long unidentifiedDeadLetters) {}
