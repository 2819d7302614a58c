package dev.exactlyonce.lab.runner;

import dev.exactlyonce.testkit.ControlToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * The lab's control-plane token: a fresh one per {@code lab up} (32 random bytes, base64url), kept
 * in {@value #NAME} in the data directory, readable by its owner only (rw-------). The services get
 * it as APP_CONTROL_TOKEN in their environment (never on a command line, which {@code ps} shows);
 * grpcurl reads it with {@code $(cat FILE)}, {@code lab drill/bench --against} with {@code
 * --control-token-file}.
 */
public final class ControlTokenFile {

    public static final String NAME = "control-token";
    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private ControlTokenFile() {}

    /** Where a lab with this data directory keeps its token. */
    public static Path in(Path dataDir) {
        return dataDir.resolve(NAME);
    }

    /**
     * A new random token, written to {@code file} (replacing an earlier run's) with owner-only
     * permissions.
     */
    public static ControlToken create(Path file) throws IOException {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Files.deleteIfExists(file);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            // created owner-only, so the token is never readable by others, not even for a moment
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(file);
            file.toFile().setReadable(false, false);
            file.toFile().setReadable(true, true);
            file.toFile().setWritable(false, false);
            file.toFile().setWritable(true, true);
        }
        Files.writeString(file, token, StandardCharsets.US_ASCII);
        return new ControlToken(token);
    }

    /** The token in {@code file}, as {@code lab up} wrote it (surrounding white space ignored). */
    public static ControlToken read(Path file) throws IOException {
        try {
            String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (token.isEmpty()) {
                throw new IllegalArgumentException("the control token file " + file + " is empty");
            }
            return new ControlToken(token);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(
                    "no control token file "
                            + file
                            + " (lab up writes one into its data directory; on kind: see docs/security.md)",
                    e);
        }
    }
}
