package dev.exactlyonce.lab.chaos;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything that happened in a chaos run, in the order it happened: each order call's start
 * ({@code invoke}), its end ({@code ok} with the message id, partition and offset, or {@code fail}
 * with the gRPC status), and each fault's start and end. One JSON object per line in {@code
 * history.jsonl}, written as it happens through a bounded buffer (8 KiB) flushed at least once a
 * second, and kept in memory for the {@link Checker}.
 */
public final class History implements AutoCloseable {

    /** The kinds of event. */
    public enum Type {
        invoke,
        ok,
        fail,
        fault_start,
        fault_end
    }

    /**
     * One line of the history; fields that do not apply are null (or -1).
     *
     * @param millis since the run started
     * @param client the client thread of a call, e.g. "client-2"; for a fault its class
     * @param fault a fault's description, e.g. "pause kafka-2 (pid 4711) for 23 s"
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Event(
            long millis,
            Type type,
            String client,
            String orderId,
            String messageId,
            Integer partition,
            Long offset,
            String status,
            String fault) {

        public static Event invoke(long millis, String client, String orderId) {
            return new Event(millis, Type.invoke, client, orderId, null, null, null, null, null);
        }

        public static Event ok(
                long millis,
                String client,
                String orderId,
                String messageId,
                int partition,
                long offset) {
            return new Event(
                    millis, Type.ok, client, orderId, messageId, partition, offset, null, null);
        }

        public static Event fail(long millis, String client, String orderId, String status) {
            return new Event(millis, Type.fail, client, orderId, null, null, null, status, null);
        }

        public static Event faultStart(long millis, String faultClass, String fault) {
            return new Event(
                    millis, Type.fault_start, faultClass, null, null, null, null, null, fault);
        }

        public static Event faultEnd(long millis, String faultClass, String fault) {
            return new Event(
                    millis, Type.fault_end, faultClass, null, null, null, null, null, fault);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final long startNanos = System.nanoTime();
    private final List<Event> events = new ArrayList<>();
    private final BufferedWriter out;
    private final Thread flusher;

    /** A history written to {@code file}; null keeps it in memory only (tests). */
    public History(Path file) throws IOException {
        if (file != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            out = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 8192);
            flusher = new Thread(this::flushEverySecond, "history-flush");
            flusher.setDaemon(true);
            flusher.start();
        } else {
            out = null;
            flusher = null;
        }
    }

    /** Milliseconds since the run started: the time stamp of the next event. */
    public long now() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    public synchronized void add(Event event) {
        events.add(event);
        if (out != null) {
            try {
                out.write(JSON.writeValueAsString(event));
                out.newLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    private void flushEverySecond() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(1000);
                synchronized (this) {
                    out.flush();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (flusher != null) {
            flusher.interrupt();
        }
        if (out != null) {
            out.close();
        }
    }
}
