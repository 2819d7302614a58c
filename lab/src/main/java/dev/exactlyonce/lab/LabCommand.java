package dev.exactlyonce.lab;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar lab/target/lab.jar up|drill|bench|chaos}. */
@Command(
        name = "lab",
        mixinStandardHelpOptions = true,
        description =
                "The exactly-once lab: run the pipeline on one machine, crash it on purpose, measure it.",
        subcommands = {
            UpCommand.class,
            DrillCommand.class,
            BenchCommand.class,
            dev.exactlyonce.lab.chaos.ChaosCommand.class
        })
public class LabCommand implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new LabCommand())
                .setExecutionExceptionHandler(
                        (e, cmd, parsed) -> {
                            cmd.getErr()
                                    .println(
                                            "lab "
                                                    + cmd.getCommandName()
                                                    + " failed: "
                                                    + e.getMessage());
                            return 2;
                        });
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
