package dev.exactlyonce.lab;

import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.lab.drill.Drill;
import dev.exactlyonce.lab.drill.DrillReport;
import dev.exactlyonce.lab.drill.DrillSettings;
import dev.exactlyonce.lab.drill.Fault;
import dev.exactlyonce.lab.drill.Scenario;
import dev.exactlyonce.lab.runner.Progress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lab drill}: crash the pipeline on purpose in every mode and check the audit against the
 * semantics.
 */
@Command(
        name = "drill",
        mixinStandardHelpOptions = true,
        description = {
            "Crash drills: for each mode, the consumer's own crash at each telling point and SIGKILLs at"
                    + " random moments; one table of audits; exit code 1 if any row differs from the semantics."
        })
public class DrillCommand implements Callable<Integer> {

    @Mixin LabOptions lab;

    @Option(
            names = "--against",
            paramLabel = "HOST",
            description =
                    "Run against services already running on HOST (kind), killing pods with kubectl.")
    String against;

    @Mixin ControlTokenOption controlToken;

    @Mixin NamespaceOption namespace;

    @Option(
            names = "--modes",
            split = ",",
            defaultValue = "AT_MOST_ONCE,AT_LEAST_ONCE,EXACTLY_ONCE",
            description = "Modes to drill (default: ${DEFAULT-VALUE}).")
    List<DeliveryMode> modes;

    @Option(
            names = "--orders",
            defaultValue = "600",
            description =
                    "Orders per scenario (default: ${DEFAULT-VALUE}); a fault row sends on until its last strike recovered.")
    int orders;

    @Option(
            names = "--crash-after",
            defaultValue = "200",
            description =
                    "The consumer crashes after this many messages (default: ${DEFAULT-VALUE}).")
    int crashAfter;

    @Option(
            names = "--clients",
            defaultValue = "4",
            description = "Concurrent PlaceOrder clients (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(
            names = "--kills",
            defaultValue = "1",
            description =
                    "How often each external fault strikes per scenario, at random moments; 0 skips them (default: ${DEFAULT-VALUE}).")
    int kills;

    @Option(
            names = "--faults",
            split = ",",
            defaultValue = "SIGKILL_CONSUMER",
            description =
                    "External faults per mode: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    List<Fault> faults;

    @Option(
            names = "--matrix",
            description = "Every crash point in every mode, then every external fault.")
    boolean matrix;

    @Option(
            names = "--crashes",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "Run the consumer's own crash drills; --no-crashes runs only the SIGKILLs (default: on).")
    boolean crashes;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Where drill.csv/json/md go (default: lab/target/drill).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Progress progress = new Progress(System.out);
        if (faults.stream().anyMatch(Fault::isCrashDrill)) {
            throw new IllegalArgumentException(
                    "--faults takes external faults " + Fault.EXTERNAL + "; crashes are --crashes");
        }
        List<Scenario> plan =
                Scenario.plan(modes, crashes, matrix, kills, faults, lab.settings().brokers());
        DrillSettings settings =
                new DrillSettings(plan, orders, crashAfter, clients, kills, Duration.ofMinutes(2));
        // network faults need every link behind a fault proxy
        boolean network = plan.stream().anyMatch(s -> Fault.NETWORK.contains(s.fault()));
        try (Target target =
                Target.open(
                        against,
                        controlToken,
                        namespace.namespace(),
                        lab.settings().withNetworkFaults(network || lab.settings().networkFaults()),
                        progress)) {
            DrillReport report =
                    new DrillReport(
                            new Drill(target.clients(), target.faults(), settings, progress).run());
            progress.line("");
            report.print(progress.out());
            Path dir = out != null ? out : lab.settings().jars().repo().resolve("lab/target/drill");
            report.write(dir);
            progress.line("written to %s (drill.csv, drill.json, drill.md)", dir.toAbsolutePath());
            return report.passed() ? 0 : 1;
        }
    }
}
