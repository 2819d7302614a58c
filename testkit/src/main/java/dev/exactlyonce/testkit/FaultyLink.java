package dev.exactlyonce.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy on loopback that one service's connections to one server pass through, so that the
 * lab can break exactly that link while everything else keeps working. Nothing needs root or a
 * kernel feature, and it acts on established connections as well as new ones:
 *
 * <ul>
 *   <li>{@link #partition()}: a black hole in both directions. Bytes already sent wait in the
 *       kernel's buffers, as on a real partition; the peers see no error, only silence, until their
 *       own timeouts fire. {@link #heal()} lets the waiting bytes through.
 *   <li>{@link #dropReplies()}: a black hole from the server to the client only: a request (a
 *       COMMIT, a produce) still reaches the server and takes effect, its answer never arrives —
 *       the unknown-outcome window.
 *   <li>{@link #reset()}: every open connection is closed with a TCP RST (what a crashed middlebox
 *       or a cut cable followed by a timeout looks like to the peers).
 *   <li>{@link #delay(Duration)}: each chunk waits this long before it is passed on, in each
 *       direction.
 *   <li>{@link #resetOnceWhenSent(String)}: the first connection on which the client sends a given
 *       text is reset at that moment (e.g. a pool's set-up query), every other passes untouched.
 * </ul>
 *
 * <p>The lab puts one on each service's links ({@code NetworkLinks}); tests use it too.
 */
public final class FaultyLink implements AutoCloseable {

    private enum State {
        OPEN,
        PARTITIONED,
        REPLIES_DROPPED
    }

    private final String name;
    private final int targetPort;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private volatile State state = State.OPEN;
    private volatile long delayNanos;
    private final AtomicReference<byte[]> resetWhenSent = new AtomicReference<>();
    private final AtomicInteger resetsWhenSent = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param listenPort where the proxied service connects (127.0.0.1)
     * @param targetPort the real server's port (127.0.0.1)
     */
    public FaultyLink(String name, int listenPort, int targetPort) throws IOException {
        this.name = name;
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort), 128);
        Thread acceptor = new Thread(this::acceptUntilClosed, "link-" + name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getLocalPort();
    }

    public void partition() {
        state = State.PARTITIONED;
    }

    public void dropReplies() {
        state = State.REPLIES_DROPPED;
    }

    /** Ends a partition or dropped replies: what waited in the buffers goes through. */
    public void heal() {
        synchronized (gate) {
            state = State.OPEN;
            gate.notifyAll();
        }
    }

    public void delay(Duration delay) {
        delayNanos = delay.toNanos();
    }

    /**
     * Arms a one-shot reset: the first connection on which the client then sends {@code text}
     * (found within one chunk read) is closed with RST in both directions before the chunk is
     * passed on.
     */
    public void resetOnceWhenSent(String text) {
        resetWhenSent.set(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** How many connections {@link #resetOnceWhenSent} reset: 0 or 1 per arming. */
    public int resetsWhenSent() {
        return resetsWhenSent.get();
    }

    /** Closes every open connection with RST; new ones are accepted as before. */
    public void reset() {
        for (Socket socket : sockets) {
            try {
                socket.setSoLinger(true, 0);
            } catch (SocketException ignored) {
                // already closed
            }
            closeQuietly(socket);
        }
    }

    /** Open connections through this link (both legs of a connection count once). */
    public int connections() {
        return sockets.size() / 2;
    }

    private void acceptUntilClosed() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket upstream;
                try {
                    upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    if (upstream.getLocalPort() == targetPort) {
                        // nothing listens on a port of the ephemeral range, and Linux gave the
                        // connecting socket that very port: TCP's simultaneous open connected it
                        // to itself, and it would echo the client's bytes back. The server is down.
                        closeQuietly(upstream);
                        throw new SocketException("connected to itself: nothing on " + targetPort);
                    }
                } catch (IOException serverDown) {
                    // the server is down (killed, restarting): the client's connection is reset,
                    // as connecting to the server itself would be refused. Left open it would look
                    // established and never answer: a gRPC channel then waits on it for good.
                    client.setSoLinger(true, 0);
                    closeQuietly(client);
                    continue;
                }
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream, false);
                pump(upstream, client, true);
            } catch (IOException e) {
                // the server is down (the client then sees its connection closed) or the link was
                // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean reply) {
        Thread pump =
                new Thread(
                        () -> {
                            byte[] buffer = new byte[64 * 1024];
                            try (InputStream in = from.getInputStream();
                                    OutputStream out = to.getOutputStream()) {
                                int n;
                                while ((n = in.read(buffer)) >= 0) {
                                    if (!reply && sentArmedText(buffer, n)) {
                                        from.setSoLinger(true, 0);
                                        to.setSoLinger(true, 0);
                                        return; // both closed with RST below
                                    }
                                    awaitPassable(reply);
                                    long delay = delayNanos;
                                    if (delay > 0) {
                                        Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
                                    }
                                    out.write(buffer, 0, n);
                                    out.flush();
                                }
                            } catch (IOException | InterruptedException e) {
                                // reset, closed by a peer, or the link closed
                            } finally {
                                closeQuietly(from);
                                closeQuietly(to);
                                sockets.remove(from);
                                sockets.remove(to);
                            }
                        },
                        "link-" + name + (reply ? "-reply" : "-request"));
        pump.setDaemon(true);
        pump.start();
    }

    /** True, once, when the client's chunk holds the armed text: this connection is to be reset. */
    private boolean sentArmedText(byte[] buffer, int length) {
        byte[] text = resetWhenSent.get();
        if (text == null
                || !contains(buffer, length, text)
                || !resetWhenSent.compareAndSet(text, null)) {
            return false; // not armed, not this chunk, or another connection took it
        }
        resetsWhenSent.incrementAndGet();
        return true;
    }

    private static boolean contains(byte[] buffer, int length, byte[] text) {
        outer:
        for (int i = 0; i + text.length <= length; i++) {
            for (int j = 0; j < text.length; j++) {
                if (buffer[i + j] != text[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Blocks while this direction is cut; what was read waits here, the rest in the kernel's
     * buffers.
     */
    private void awaitPassable(boolean reply) throws InterruptedException {
        synchronized (gate) {
            while (!closed
                    && (state == State.PARTITIONED || (reply && state == State.REPLIES_DROPPED))) {
                gate.wait();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        heal();
        closeQuietly(server);
        reset();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return name + " (127.0.0.1:" + port() + " -> " + targetPort + ")";
    }
}
