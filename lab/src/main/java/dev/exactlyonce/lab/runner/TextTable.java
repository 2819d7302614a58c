package dev.exactlyonce.lab.runner;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The console tables of `lab drill` and `lab bench`: columns as wide as their widest cell, numbers
 * right-aligned.
 */
public final class TextTable {

    private TextTable() {}

    /**
     * Prints the header and rows; columns {@code firstNumber..lastNumber} (inclusive) are
     * right-aligned.
     */
    public static void print(
            PrintStream out,
            List<String> header,
            List<List<String>> rows,
            int firstNumber,
            int lastNumber) {
        List<List<String>> table = new ArrayList<>();
        table.add(header);
        table.addAll(rows);
        int[] widths = new int[header.size()];
        for (List<String> line : table) {
            for (int i = 0; i < line.size(); i++) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        }
        for (List<String> line : table) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < line.size(); i++) {
                boolean number = i >= firstNumber && i <= lastNumber;
                text.append(
                        String.format(
                                Locale.ROOT,
                                (number ? "%" : "%-") + widths[i] + "s  ",
                                line.get(i)));
            }
            out.println(text.toString().stripTrailing());
        }
    }
}
