package dev.exactlyonce.lab.chaos;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.lab.chaos.Reads.LogRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@link TopicReader} of {@code lab chaos --against}: Kafka's own console consumer ({@code
 * kafka-console-consumer.sh --isolation-level read_committed}), started by a {@link Launcher} — on
 * kind, {@code kubectl exec} in a broker pod, where it reaches the brokers as the services do; the
 * lab cannot, as the brokers advertise cluster-internal names. It prints partition, offset, key and
 * value of each record between two markers no record of the pipeline contains ({@link
 * #KEY_SEPARATOR}, {@link #RECORD_SEPARATOR}; the value is binary and ignored).
 *
 * <p>The concurrent reader runs the console consumer again and again, each run in the run's own
 * consumer group (so a run goes on where the last one committed) until 5 s pass without a record or
 * it has printed {@link #RECORDS_PER_RUN}. The first run starts at the end of both topics. A run
 * that fails (its broker pod deleted by the nemesis) is started again on another. A run's auto
 * commit may be ahead of what it printed (it commits whole poll batches) or behind it (it failed
 * before committing): the reader therefore sees a subset of the log, in order, and drops, at the
 * start of a run, records at or below an offset it already has for their partition. Within one run
 * nothing is dropped, so a partition's offsets going back inside a run is still found.
 */
final class ConsoleTopicReader extends TopicReader {

    static final String KEY_SEPARATOR = "~|chaos-field|~";
    static final String RECORD_SEPARATOR = "~|chaos-record|~\n";
    static final int RECORDS_PER_RUN = 20_000;
    static final Duration IDLE_RUN_END = Duration.ofSeconds(5);
    static final Duration COMMITTED_READ_END = Duration.ofSeconds(15);

    /** The longest one run of the console consumer may take before it is ended. */
    static final Duration RUN_LIMIT = Duration.ofMinutes(5);

    /** Starts the console consumer with these arguments (after {@code --bootstrap-server ...}). */
    @FunctionalInterface
    interface Launcher {
        /** The command line for {@code kafka-console-consumer.sh} with these arguments. */
        List<String> command(List<String> arguments) throws Exception;
    }

    private final Launcher launcher;
    private final String group;
    private final Map<String, Long> lastSeenOffset = new HashMap<>();

    ConsoleTopicReader(Launcher launcher, String prefix) {
        super(prefix);
        this.launcher = launcher;
        this.group = "chaos-reader-" + prefix.replaceAll("[^A-Za-z0-9._-]", "-");
    }

    @Override
    protected void readConcurrently() {
        while (!finishing && !Thread.currentThread().isInterrupted()) {
            readOnce();
        }
        readOnce(); // what was committed by the time the run was told to finish
    }

    /** The consumer group of the concurrent reader's runs on one topic. */
    String group(String topic) {
        return group + "-" + topic;
    }

    /** One run of the console consumer per topic, in the run's group; failures are retried. */
    private void readOnce() {
        for (String topic : List.of(Topics.ORDERS, Topics.INVOICES)) {
            try {
                List<LogRecord> records =
                        consume(
                                topic,
                                List.of(
                                        "--group",
                                        group(topic),
                                        "--max-messages",
                                        String.valueOf(RECORDS_PER_RUN)),
                                IDLE_RUN_END);
                Map<String, Long> before = new HashMap<>(lastSeenOffset);
                for (LogRecord r : records) {
                    String partition = r.topic() + "-" + r.partition();
                    Long already = before.get(partition);
                    if (already != null && r.offset() <= already) {
                        continue; // read again after a run that did not commit: not Kafka's doing
                    }
                    lastSeenOffset.put(partition, r.offset());
                    seen.add(r);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                lastProblem = e.getMessage();
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    List<LogRecord> readCommitted() throws Exception {
        List<LogRecord> records = new ArrayList<>();
        for (String topic : List.of(Topics.ORDERS, Topics.INVOICES)) {
            records.addAll(consume(topic, List.of("--from-beginning"), COMMITTED_READ_END));
        }
        return records;
    }

    /** Runs the console consumer once on one topic; the records of this run it printed. */
    private List<LogRecord> consume(String topic, List<String> more, Duration idleEnd)
            throws Exception {
        List<String> arguments =
                new ArrayList<>(
                        List.of(
                                "--topic",
                                topic,
                                "--isolation-level",
                                "read_committed",
                                "--timeout-ms",
                                String.valueOf(idleEnd.toMillis()),
                                "--property",
                                "print.partition=true",
                                "--property",
                                "print.offset=true",
                                "--property",
                                "print.key=true",
                                "--property",
                                "print.value=true",
                                "--property",
                                "key.separator=" + KEY_SEPARATOR,
                                "--property",
                                "line.separator=" + RECORD_SEPARATOR));
        arguments.addAll(more);
        Path errors = Files.createTempFile("chaos-console-consumer", ".log");
        try {
            Process process =
                    new ProcessBuilder(launcher.command(arguments))
                            .redirectError(errors.toFile())
                            .start();
            process.getOutputStream().close();
            // a run that hangs (its kubectl exec stalled) is ended, so the reader goes on
            CompletableFuture<Void> watchdog =
                    CompletableFuture.runAsync(
                            process::destroyForcibly,
                            CompletableFuture.delayedExecutor(
                                    RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS));
            byte[] out;
            try {
                out = process.getInputStream().readAllBytes();
            } finally {
                watchdog.cancel(false);
            }
            if (!process.waitFor(1, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(
                        "the console consumer failed on "
                                + topic
                                + ": "
                                + tail(Files.readString(errors, StandardCharsets.UTF_8)));
            }
            return parse(topic, out, prefix);
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /**
     * The records of the run with this prefix in the console consumer's output: {@code
     * Partition:P<sep>Offset:O<sep>KEY<sep>VALUE<record separator>} each.
     */
    static List<LogRecord> parse(String topic, byte[] output, String prefix) {
        // bytes as Latin-1 keep every byte; the key goes back to UTF-8 below
        String text = new String(output, StandardCharsets.ISO_8859_1);
        List<LogRecord> records = new ArrayList<>();
        int from = 0;
        while (true) {
            int end = text.indexOf(RECORD_SEPARATOR, from);
            if (end < 0) {
                return records;
            }
            String[] fields = text.substring(from, end).split(KEY_SEPARATOR_PATTERN, 4);
            from = end + RECORD_SEPARATOR.length();
            int at = fields[0].lastIndexOf("Partition:");
            if (fields.length < 4 || at < 0 || !fields[1].startsWith("Offset:")) {
                throw new IllegalStateException(
                        "not a record of the console consumer's: "
                                + text.substring(Math.max(0, end - 200), end));
            }
            String key =
                    new String(
                            fields[2].getBytes(StandardCharsets.ISO_8859_1),
                            StandardCharsets.UTF_8);
            if (key.startsWith(prefix)) {
                records.add(
                        new LogRecord(
                                topic,
                                Integer.parseInt(fields[0].substring(at + "Partition:".length())),
                                Long.parseLong(fields[1].substring("Offset:".length())),
                                key));
            }
        }
    }

    private static final String KEY_SEPARATOR_PATTERN =
            java.util.regex.Pattern.quote(KEY_SEPARATOR);

    private static String tail(String text) {
        String trimmed = text.trim();
        return trimmed.length() <= 2000
                ? trimmed
                : "…" + trimmed.substring(trimmed.length() - 2000);
    }
}
