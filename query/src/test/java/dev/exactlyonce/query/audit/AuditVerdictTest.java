package dev.exactlyonce.query.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AuditVerdictTest {

    private static final AuditVerdict.Progress CAUGHT_UP = AuditVerdict.Progress.behind(0);

    /**
     * committedDistinct, committedNotStored, inFlight, storedRows, storedDistinct, dead letters
     * (records, orders, unidentified)
     */
    private static AuditCounts counts(
            long committed,
            long notStored,
            long inFlight,
            long rows,
            long distinct,
            long deadLettered) {
        return new AuditCounts(
                committed, notStored, inFlight, rows, distinct, deadLettered, deadLettered, 0);
    }

    @Test
    void everyAcknowledgedOrderStoredOnceAndDrainedIsExactlyOnce() {
        var verdict =
                AuditVerdict.judge(counts(10, 0, 0, 10, 10, 0), OptionalLong.of(10), CAUGHT_UP);
        assertThat(verdict).isEqualTo(new AuditVerdict(true, 0, 0, "EXACTLY_ONCE"));
    }

    @Test
    void rowsBeyondOnePerMessageAreDuplicates() {
        var verdict =
                AuditVerdict.judge(counts(10, 0, 0, 13, 10, 0), OptionalLong.empty(), CAUGHT_UP);
        assertThat(verdict).isEqualTo(new AuditVerdict(true, 0, 3, "AT_LEAST_ONCE (3 duplicated)"));
    }

    @Test
    void committedButNotStoredIsLost() {
        var verdict =
                AuditVerdict.judge(counts(10, 2, 0, 8, 8, 0), OptionalLong.empty(), CAUGHT_UP);
        assertThat(verdict).isEqualTo(new AuditVerdict(true, 2, 0, "AT_MOST_ONCE (2 lost)"));
    }

    @Test
    void acknowledgedButNeverCommittedIsLostToo() {
        // acks=0: the producer acknowledged 12 orders, Kafka holds 10, all 10 stored
        var verdict =
                AuditVerdict.judge(counts(10, 0, 0, 10, 10, 0), OptionalLong.of(12), CAUGHT_UP);
        assertThat(verdict.lost()).isEqualTo(2);
    }

    @Test
    void deadLetteredAndInFlightOrdersAreNotLostButNamed() {
        // 12 acknowledged: 9 stored, 1 dead-lettered, 2 not reached by the consumer yet
        var verdict =
                AuditVerdict.judge(
                        counts(12, 0, 2, 9, 9, 1),
                        OptionalLong.of(12),
                        AuditVerdict.Progress.behind(2));
        assertThat(verdict)
                .isEqualTo(
                        new AuditVerdict(
                                false,
                                0,
                                0,
                                "NOT_DRAINED (2 in flight), STORED_ONCE_EXCEPT (1 dead-lettered)"));
    }

    @Test
    void aConsumerBehindOnlyOnRecordsOfStoredOrdersIsNotDrainedEither() {
        // a replay after a crash: the records beyond the position are of orders already stored
        var verdict =
                AuditVerdict.judge(
                        counts(10, 0, 0, 10, 10, 0),
                        OptionalLong.of(10),
                        AuditVerdict.Progress.behind(1));
        assertThat(verdict)
                .isEqualTo(new AuditVerdict(false, 0, 0, "NOT_DRAINED (1 record behind)"));
    }

    @Test
    void keyConflictsCountAsOrdersOnlyWhereTheAcknowledgedCountHoldsThem() {
        // the caller counted 11 orders: 10 stored, 1 refused as a reused key
        var byCaller =
                AuditVerdict.judge(
                        counts(10, 0, 0, 10, 10, 0),
                        OptionalLong.of(11),
                        new AuditVerdict.Progress(0, 1, 1, 0));
        assertThat(byCaller)
                .isEqualTo(new AuditVerdict(true, 0, 0, "STORED_ONCE_EXCEPT (1 key conflict)"));
        // the producer counted 10 message ids: the refused offer shares its message id with a
        // stored order
        var byProducer =
                AuditVerdict.judge(
                        counts(10, 0, 0, 10, 10, 0),
                        OptionalLong.of(10),
                        new AuditVerdict.Progress(0, 1, 0, 0));
        assertThat(byProducer).isEqualTo(byCaller);
    }

    @Test
    void retentionSkippedOffsetsAreNamedNotLost() {
        // 15 acknowledged: 10 stored, the records of 5 deleted by retention before the consumer
        // read them
        var verdict =
                AuditVerdict.judge(
                        counts(10, 0, 0, 10, 10, 0),
                        OptionalLong.of(15),
                        new AuditVerdict.Progress(0, 0, 0, 5));
        assertThat(verdict)
                .isEqualTo(
                        new AuditVerdict(
                                true, 0, 0, "STORED_ONCE_EXCEPT (5 skipped by retention)"));
    }

    @Test
    void deadLettersWithoutAMessageIdAreNamedButAccountForNoAcknowledgedOrder() {
        var counts = new AuditCounts(10, 0, 0, 9, 9, 1, 0, 1);
        var verdict = AuditVerdict.judge(counts, OptionalLong.of(10), CAUGHT_UP);
        assertThat(verdict)
                .isEqualTo(
                        new AuditVerdict(
                                true, 1, 0, "AT_MOST_ONCE (1 lost), NOT_STORED (1 dead-lettered)"));
    }

    @Test
    void everyProblemAtOnceNamesEachInOrder() {
        var verdict =
                AuditVerdict.judge(
                        new AuditCounts(20, 1, 3, 14, 12, 2, 2, 0),
                        OptionalLong.empty(),
                        new AuditVerdict.Progress(4, 2, 0, 5));
        assertThat(verdict.verdict())
                .isEqualTo(
                        "NOT_DRAINED (3 in flight), AT_LEAST_ONCE (2 duplicated), "
                                + "AT_MOST_ONCE (1 lost), NOT_STORED (2 dead-lettered, 2 key conflicts, 5 skipped by retention)");
    }

    record Problems(
            boolean inFlight,
            boolean behind,
            boolean duplicated,
            boolean lost,
            boolean deadLettered,
            boolean conflicts,
            boolean skipped) {
        boolean none() {
            return !inFlight
                    && !behind
                    && !duplicated
                    && !lost
                    && !deadLettered
                    && !conflicts
                    && !skipped;
        }
    }

    static Stream<Problems> everyCombination() {
        List<Problems> all = new ArrayList<>();
        for (int bits = 0; bits < 1 << 7; bits++) {
            all.add(
                    new Problems(
                            (bits & 1) != 0,
                            (bits & 2) != 0,
                            (bits & 4) != 0,
                            (bits & 8) != 0,
                            (bits & 16) != 0,
                            (bits & 32) != 0,
                            (bits & 64) != 0));
        }
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("everyCombination")
    void exactlyOnceOnlyWithoutAnyProblemAndEveryProblemNamed(Problems p) {
        String verdict =
                AuditVerdict.verdict(
                        p.inFlight() ? 3 : 0,
                        p.behind() ? 7 : 0,
                        p.duplicated() ? 2 : 0,
                        p.lost() ? 4 : 0,
                        p.deadLettered() ? 1 : 0,
                        p.conflicts() ? 2 : 0,
                        p.skipped() ? 5 : 0);

        if (p.none()) {
            assertThat(verdict).isEqualTo("EXACTLY_ONCE");
            return;
        }
        assertThat(verdict).doesNotStartWith("EXACTLY_ONCE").doesNotContain("EXACTLY_ONCE");
        assertThat(verdict.contains("NOT_DRAINED (3 in flight)")).isEqualTo(p.inFlight());
        assertThat(verdict.contains("NOT_DRAINED (7 records behind)"))
                .isEqualTo(p.behind() && !p.inFlight());
        assertThat(verdict.startsWith("NOT_DRAINED")).isEqualTo(p.inFlight() || p.behind());
        assertThat(verdict.contains("AT_LEAST_ONCE (2 duplicated)")).isEqualTo(p.duplicated());
        assertThat(verdict.contains("AT_MOST_ONCE (4 lost)")).isEqualTo(p.lost());
        assertThat(verdict.contains("1 dead-lettered")).isEqualTo(p.deadLettered());
        assertThat(verdict.contains("2 key conflicts")).isEqualTo(p.conflicts());
        assertThat(verdict.contains("5 skipped by retention")).isEqualTo(p.skipped());
        boolean setAside = p.deadLettered() || p.conflicts() || p.skipped();
        assertThat(verdict.contains("STORED_ONCE_EXCEPT ("))
                .isEqualTo(setAside && !p.lost() && !p.duplicated());
        assertThat(verdict.contains("NOT_STORED ("))
                .isEqualTo(setAside && (p.lost() || p.duplicated()));
        // terms split at "), ": each one a keyword and its detail
        assertThat(verdict.split("\\), "))
                .allSatisfy(term -> assertThat(term).matches("[A-Z_]+ \\(.*"));
    }
}
