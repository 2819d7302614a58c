package dev.exactlyonce.lab.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.lab.LabFixture;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.Pauses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A short chaos run in exactly-once against three brokers with network faults: every fault class, a
 * fixed seed, a low rate. The checker finds nothing (a call that failed may still have stored its
 * order, which is allowed), and afterwards no process of the lab is left stopped.
 */
class ChaosTest {

    static final long SEED = 7;

    @RegisterExtension static LabFixture fixture = LabFixture.perClass(1, 3, true);

    @Test
    void exactlyOnceSurvivesTheNemesis() throws Exception {
        Lab lab = fixture.lab();
        Path out = Path.of("target/chaos-test");
        ChaosSettings settings =
                new ChaosSettings(
                        SEED,
                        Duration.ofSeconds(40),
                        EnumSet.allOf(FaultClass.class),
                        DeliveryMode.EXACTLY_ONCE,
                        20,
                        2,
                        Duration.ofMinutes(2),
                        out);

        Verdict verdict =
                new Chaos(ChaosTarget.of(lab), fixture.clients(), settings, fixture.progress())
                        .run();

        assertThat(verdict.totals().faults()).as("faults injected").isGreaterThanOrEqualTo(3);
        assertThat(verdict.totals().acknowledged()).isGreaterThan(20);
        assertThat(verdict.counts())
                .allSatisfy(
                        (anomaly, count) ->
                                assertThat(
                                                anomaly == Anomaly.STORED_AFTER_FAILED_CALL
                                                        || count.count() == 0)
                                        .as(anomaly + ": " + count)
                                        .isTrue());
        assertThat(verdict.passed()).isTrue();
        assertThat(Files.readString(out.resolve("verdict.md"))).contains("Verdict: PASS");

        // the running totals: one line while the load ran (every 30 s of a 40 s run) and one after
        // it, whose counts are the history's
        List<String> totals =
                fixture.output().lines().filter(l -> TOTALS.matcher(l).find()).toList();
        assertThat(totals).as("totals lines").hasSizeGreaterThanOrEqualTo(2);
        Matcher last = TOTALS.matcher(totals.get(totals.size() - 1));
        assertThat(last.find()).isTrue();
        assertThat(number(last.group(1))).as("placed").isEqualTo(verdict.totals().sent());
        assertThat(number(last.group(2)))
                .as("acknowledged")
                .isEqualTo(verdict.totals().acknowledged());
        assertThat(number(last.group(3))).as("failed").isEqualTo(verdict.totals().failedCalls());
        assertThat(number(last.group(4))).as("in flight once the load stopped").isZero();
        assertThat(Files.readAllLines(out.resolve("history.jsonl")))
                .anyMatch(l -> l.contains("\"fault_start\""))
                .anyMatch(l -> l.contains("\"ok\""));

        List<Long> pids = new ArrayList<>();
        lab.children().forEach(c -> pids.add(c.pid()));
        lab.kafka().nodes().forEach(n -> pids.add(n.pid()));
        Path postmaster = lab.dataDir().resolve("postgres").resolve("postmaster.pid");
        long pg = Long.parseLong(Files.readAllLines(postmaster).get(0).trim());
        pids.add(pg);
        ProcessHandle.of(pg).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        assertThat(pids).noneMatch(Pauses::isStopped);
        assertThat(Pauses.stopped()).isEmpty();
    }

    private static final Pattern TOTALS =
            Pattern.compile(
                    "orders: ([\\d,]+) placed, ([\\d,]+) acknowledged, ([\\d,]+) failed.*, ([\\d,]+) in flight");

    private static long number(String text) {
        return Long.parseLong(text.replace(",", ""));
    }
}
