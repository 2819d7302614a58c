package dev.exactlyonce.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy against a real TCP server that counts the bytes it received and echoes them: a
 * partition silences an established connection in both directions until healed, dropped replies let
 * requests take effect without answers, a reset reaches the client as a connection reset, a delay
 * delays, and a connection made while the server is down is reset rather than left open.
 */
class FaultyLinkTest {

    private ServerSocket echo;
    private FaultyLink link;
    private final AtomicInteger received = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread server =
                new Thread(
                        () -> {
                            while (!echo.isClosed()) {
                                try {
                                    Socket socket = echo.accept();
                                    Thread connection =
                                            new Thread(
                                                    () -> {
                                                        try (socket;
                                                                InputStream in =
                                                                        socket.getInputStream();
                                                                OutputStream out =
                                                                        socket.getOutputStream()) {
                                                            int b;
                                                            while ((b = in.read()) >= 0) {
                                                                received.incrementAndGet();
                                                                out.write(b);
                                                                out.flush();
                                                            }
                                                        } catch (IOException ignored) {
                                                            // the client went away
                                                        }
                                                    });
                                    connection.setDaemon(true);
                                    connection.start();
                                } catch (IOException e) {
                                    return;
                                }
                            }
                        });
        server.setDaemon(true);
        server.start();
        link = new FaultyLink("test", 0, echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        link.close();
        echo.close();
    }

    @Test
    void anOpenLinkPassesBytesBothWays() throws IOException {
        try (Socket client = connect()) {
            assertThat(roundTrip(client, 'a')).isEqualTo('a');
        }
    }

    @Test
    void aPartitionSilencesAnEstablishedConnectionUntilHealed() throws IOException {
        try (Socket client = connect()) {
            assertThat(roundTrip(client, 'a')).isEqualTo('a');
            link.partition();
            client.getOutputStream().write('b');
            assertThatThrownBy(() -> client.getInputStream().read())
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(received).hasValue(1);
            link.heal();
            client.setSoTimeout(5_000);
            assertThat(client.getInputStream().read()).isEqualTo('b');
            assertThat(received).hasValue(2);
        }
    }

    @Test
    void droppedRepliesLetRequestsTakeEffectWithoutAnswer() throws IOException {
        try (Socket client = connect()) {
            link.dropReplies();
            client.getOutputStream().write('c');
            assertThatThrownBy(() -> client.getInputStream().read())
                    .isInstanceOf(SocketTimeoutException.class);
            // the server did get it: the outcome is unknown only to the client
            assertThat(received).hasValue(1);
        }
    }

    @Test
    void aResetReachesTheClientAsAConnectionReset() throws IOException {
        try (Socket client = connect()) {
            assertThat(roundTrip(client, 'a')).isEqualTo('a');
            link.reset();
            assertThatThrownBy(
                            () -> {
                                for (int i = 0; i < 100; i++) {
                                    roundTrip(client, 'x');
                                }
                            })
                    .isInstanceOfAny(SocketException.class, IOException.class);
        }
        try (Socket again = connect()) {
            assertThat(roundTrip(again, 'd'))
                    .as("new connections pass after a reset")
                    .isEqualTo('d');
        }
    }

    @Test
    void aDelayHoldsEachChunkInEachDirection() throws IOException {
        link.delay(Duration.ofMillis(100));
        try (Socket client = connect()) {
            long start = System.nanoTime();
            roundTrip(client, 'e');
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(200));
        }
    }

    @Test
    void anArmedTextResetsTheFirstConnectionThatSendsItAndNoOther() throws IOException {
        link.resetOnceWhenSent("CUT");
        try (Socket first = connect()) {
            assertThat(roundTrip(first, 'a')).as("other bytes pass").isEqualTo('a');
            first.getOutputStream().write("CUT".getBytes(StandardCharsets.US_ASCII));
            first.getOutputStream().flush();
            first.setSoTimeout(5_000);
            assertThatThrownBy(
                            () -> {
                                if (first.getInputStream().read() < 0) {
                                    throw new SocketException("closed");
                                }
                            })
                    .isInstanceOf(SocketException.class);
        }
        try (Socket second = connect()) {
            second.getOutputStream().write("CUT".getBytes(StandardCharsets.US_ASCII));
            second.getOutputStream().flush();
            second.setSoTimeout(5_000);
            assertThat(second.getInputStream().readNBytes(3))
                    .as("one-shot: the next connection passes it")
                    .isEqualTo("CUT".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(link.resetsWhenSent()).isEqualTo(1);
        // the server never got the text on the reset connection: only 'a' and the second "CUT"
        assertThat(received).hasValue(4);
    }

    @Test
    void whileTheServerIsDownAConnectionIsResetNotLeftHanging() throws IOException {
        // a port that is bound but not listening refuses connections, like a server that is
        // down, and no other process can start listening on it while the test runs (a closed
        // server's port of the ephemeral range can be taken by anything on the machine)
        try (Socket downServer = new Socket()) {
            downServer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (FaultyLink toDownServer = new FaultyLink("down", 0, downServer.getLocalPort());
                    Socket client =
                            new Socket(InetAddress.getLoopbackAddress(), toDownServer.port())) {
                client.setSoTimeout(5_000);
                // a timeout here (SocketTimeoutException is no SocketException) is the hanging
                // connection
                assertThatThrownBy(
                                () -> {
                                    client.getOutputStream().write('f');
                                    client.getOutputStream().flush();
                                    int answer = client.getInputStream().read();
                                    if (answer < 0) {
                                        throw new SocketException("closed");
                                    }
                                    throw new AssertionError(
                                            "the link answered "
                                                    + answer
                                                    + " for a server that is down");
                                })
                        .isInstanceOf(SocketException.class);
            }
        }
    }

    private Socket connect() throws IOException {
        Socket client = new Socket(InetAddress.getLoopbackAddress(), link.port());
        client.setSoTimeout(300);
        return client;
    }

    private static int roundTrip(Socket client, char c) throws IOException {
        client.getOutputStream().write(c);
        client.getOutputStream().flush();
        client.setSoTimeout(5_000);
        int answer = client.getInputStream().read();
        client.setSoTimeout(300);
        if (answer < 0) {
            throw new SocketException("closed");
        }
        return answer;
    }
}
