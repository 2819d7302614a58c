package dev.exactlyonce.lab.bench;

import static dev.exactlyonce.lab.bench.BenchRepeatsTest.result;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The curve's table: one row per level and mode, and exactly-once ÷ at-least-once per level. */
class LoadCurveTest {

    @Test
    void eachLevelHasItsOwnRatio(@TempDir Path dir) throws Exception {
        LoadCurve curve = new LoadCurve();
        curve.add(4, List.of(result("AT_LEAST_ONCE", 1000, 5), result("EXACTLY_ONCE", 500, 9)));
        curve.add(64, List.of(result("AT_LEAST_ONCE", 8000, 20), result("EXACTLY_ONCE", 7600, 30)));

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        curve.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
        curve.write(dir, "`lab bench --curve 4,64`");

        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("exactly-once / at-least-once");
        List<String> csv = Files.readAllLines(dir.resolve("curve.csv"));
        assertThat(csv)
                .containsExactly(
                        "clients,mode,stored/s,acked/s,p50_ms,p99_ms,lost,duplicated,exactly-once_/_at-least-once",
                        "4,AT_LEAST_ONCE,1000,1000,1.0,5.0,0,0,",
                        "4,EXACTLY_ONCE,500,500,1.0,9.0,0,0,0.50",
                        "64,AT_LEAST_ONCE,8000,8000,1.0,20.0,0,0,",
                        "64,EXACTLY_ONCE,7600,7600,1.0,30.0,0,0,0.95");
        assertThat(Files.readString(dir.resolve("curve.md")))
                .startsWith("`lab bench --curve 4,64`")
                .contains("| 64 | EXACTLY_ONCE | 7,600 | 7,600 | 1.0 | 30.0 | 0 | 0 | 0.95 |");
    }
}
