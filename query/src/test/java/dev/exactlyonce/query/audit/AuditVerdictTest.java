package dev.exactlyonce.query.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class AuditVerdictTest {

    // committedDistinct, committedNotStored, storedRows, storedDistinct, deadLettered, deadLetteredNotStored
    @Test
    void everyCommittedMessageStoredOnceIsExactlyOnce() {
        var verdict = AuditVerdict.judge(new AuditCounts(10, 0, 10, 10, 0, 0), OptionalLong.of(10), 0);
        assertThat(verdict).isEqualTo(new AuditVerdict(0, 0, "EXACTLY_ONCE"));
    }

    @Test
    void rowsBeyondOnePerMessageAreDuplicates() {
        var verdict = AuditVerdict.judge(new AuditCounts(10, 0, 13, 10, 0, 0), OptionalLong.empty(), 0);
        assertThat(verdict).isEqualTo(new AuditVerdict(0, 3, "AT_LEAST_ONCE (3 duplicated)"));
    }

    @Test
    void committedButNotStoredIsLost() {
        var verdict = AuditVerdict.judge(new AuditCounts(10, 2, 8, 8, 0, 0), OptionalLong.empty(), 0);
        assertThat(verdict).isEqualTo(new AuditVerdict(2, 0, "AT_MOST_ONCE (2 lost)"));
    }

    @Test
    void acknowledgedButNeverCommittedIsLostToo() {
        // acks=0: the producer reported 12 sends, Kafka holds 10, all 10 stored
        var verdict = AuditVerdict.judge(new AuditCounts(10, 0, 10, 10, 0, 0), OptionalLong.of(12), 0);
        assertThat(verdict.lost()).isEqualTo(2);
    }

    @Test
    void deadLetteredAndInFlightAreNotLost() {
        // 12 acknowledged: 9 stored, 1 dead-lettered, 2 not reached by the consumer yet
        var verdict = AuditVerdict.judge(new AuditCounts(12, 0, 9, 9, 1, 1), OptionalLong.of(12), 2);
        assertThat(verdict.verdict()).isEqualTo("EXACTLY_ONCE");
    }

    @Test
    void bothAtOnceNameBoth() {
        var verdict = AuditVerdict.judge(new AuditCounts(10, 1, 11, 9, 0, 0), OptionalLong.empty(), 0);
        assertThat(verdict.verdict()).isEqualTo("AT_LEAST_ONCE (2 duplicated), AT_MOST_ONCE (1 lost)");
    }
}
