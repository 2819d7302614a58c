package dev.exactlyonce.lab.drill;

/** One line of the drill table. */
public record DrillRow(
        String mode,
        String fault,
        long sent,
        long acknowledged,
        long stored,
        long distinct,
        long lost,
        long duplicated,
        String verdict,
        String expected,
        boolean passed,
        String note) {

    public String mark() {
        return passed ? "✓" : "✗";
    }
}
