package dev.exactlyonce.lab.chaos;

import java.time.Duration;
import java.util.Random;
import java.util.Set;

/**
 * What the {@link Nemesis}'s faults do to the processes of one kind of target: a lab this process
 * started ({@link LabStrikes}) or the pods of a kind cluster ({@link KubectlStrikes}). The nemesis
 * decides when and how many; the strikes decide what and to whom, drawing from the nemesis's seeded
 * {@link Random} so that a seed repeats its schedule.
 */
interface Strikes {

    /**
     * How long a pause lasts: past billing's and the consumer's 10 s session timeout, so their
     * groups rebalance without the stopped member, which then wakes up as a zombie.
     */
    Duration PAUSE_MIN = Duration.ofSeconds(11);

    Duration PAUSE_MAX = Duration.ofSeconds(40);

    /** A pause of PAUSE_MIN to PAUSE_MAX, cut to what is left of the run; null if too little. */
    static Duration pauseLength(Duration remaining, Random random) {
        if (remaining.compareTo(PAUSE_MIN) < 0) {
            return null;
        }
        long maxSeconds = Math.min(PAUSE_MAX.toSeconds(), remaining.toSeconds());
        return Duration.ofSeconds(
                PAUSE_MIN.toSeconds()
                        + random.nextInt((int) (maxSeconds - PAUSE_MIN.toSeconds() + 1)));
    }

    /**
     * A fault of this class on a target drawn with {@code random}, not yet started; null when none
     * fits now (a target restarting, too little time left, a class this target cannot do).
     */
    Strike plan(FaultClass faultClass, Duration remaining, Random random);

    /** Undoes every fault that may still be in force; safe to call any time, more than once. */
    void healAll();

    /**
     * A planned fault: its class, a description, the targets it holds (no other fault strikes them
     * meanwhile), how many Kafka nodes it takes down, and the action, which returns, described,
     * once the fault is over and its targets are back.
     */
    record Strike(
            FaultClass faultClass, String what, Set<String> targets, int brokers, Action run) {}

    @FunctionalInterface
    interface Action {
        String run() throws Exception;
    }
}
