package dev.exactlyonce.lab;

import dev.exactlyonce.lab.runner.ControlTokenFile;
import dev.exactlyonce.lab.runner.LabSettings;
import dev.exactlyonce.testkit.ControlToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --control-token-file}: how drill and bench find the control token of services they did not
 * start.
 */
public class ControlTokenOption {

    @Option(
            names = "--control-token-file",
            paramLabel = "FILE",
            description =
                    "With --against: the file holding the services' control token (a lab up prints its"
                            + " DATA/control-token; kind: see docs/security.md). Default with --data DIR: DIR/control-token.")
    Path file;

    /**
     * The token for services at --against: the given file, else the data directory's, else a clear
     * error.
     */
    public ControlToken forAgainst(String against, LabSettings settings) throws IOException {
        if (file != null) {
            return ControlTokenFile.read(file);
        }
        if (settings.dataDir() != null && Files.exists(ControlTokenFile.in(settings.dataDir()))) {
            return ControlTokenFile.read(ControlTokenFile.in(settings.dataDir()));
        }
        throw new IllegalArgumentException(
                "the services at "
                        + against
                        + " refuse control calls without their token:"
                        + " give --control-token-file FILE (a lab up prints its file; on kind, docs/security.md shows the"
                        + " kubectl line that reads the Secret), or --data DIR of the lab up that holds DIR/"
                        + ControlTokenFile.NAME);
    }
}
