package dev.exactlyonce.lab.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The peak resident memory of a process since it started, {@code VmHWM} in {@code
 * /proc/<pid>/status} (Linux); -1 where that is not available.
 */
public final class ProcessMemory {

    private ProcessMemory() {}

    /** The most the process has held resident since it started (its high-water mark). */
    public static long peakResidentKiB(long pid) {
        Path status = Path.of("/proc", String.valueOf(pid), "status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }
}
