package dev.exactlyonce.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.CrashPoint;
import org.junit.jupiter.api.Test;

class CrashCountdownTest {

    @Test
    void firesWhenTheNthMessageReachesTheArmedPointAndCountsOnlyThatPoint() {
        CrashCountdown<CrashPoint> countdown = new CrashCountdown<>();
        assertThat(
                        countdown.reached(
                                CrashPoint.AFTER_DB_COMMIT, 30, 50, CrashPoint.AFTER_DB_COMMIT))
                .isFalse();
        assertThat(
                        countdown.reached(
                                CrashPoint.BEFORE_DB_COMMIT, 30, 50, CrashPoint.AFTER_DB_COMMIT))
                .as("another point")
                .isFalse();
        assertThat(
                        countdown.reached(
                                CrashPoint.AFTER_DB_COMMIT, 30, 50, CrashPoint.AFTER_DB_COMMIT))
                .isTrue();
        assertThat(countdown.count()).isEqualTo(60);
    }

    @Test
    void armingAnewStartsFromZeroAndZeroNeverFires() {
        CrashCountdown<CrashPoint> countdown = new CrashCountdown<>();
        assertThat(
                        countdown.reached(
                                CrashPoint.AFTER_DB_COMMIT, 40, 50, CrashPoint.AFTER_DB_COMMIT))
                .isFalse();
        assertThat(
                        countdown.reached(
                                CrashPoint.AFTER_DB_COMMIT, 40, 60, CrashPoint.AFTER_DB_COMMIT))
                .as("re-armed: 40 of 60")
                .isFalse();
        assertThat(
                        countdown.reached(
                                CrashPoint.AFTER_DB_COMMIT, 1000, 0, CrashPoint.AFTER_DB_COMMIT))
                .as("disarmed")
                .isFalse();
    }
}
