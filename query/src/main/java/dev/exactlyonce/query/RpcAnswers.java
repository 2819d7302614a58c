package dev.exactlyonce.query;

import dev.exactlyonce.query.store.LostConnection;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every QueryService RPC answers: its response, or its failure as a status. The one place where
 * failures become status codes: a {@link StatusRuntimeException} thrown by the work (an argument
 * check's INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED) goes out as it is, an interrupt is
 * CANCELLED, and anything else means Kafka or PostgreSQL could not answer: UNAVAILABLE.
 */
final class RpcAnswers {

    private static final Logger LOG = LoggerFactory.getLogger(RpcAnswers.class);

    private RpcAnswers() {}

    /**
     * A read, tried again on another connection when PostgreSQL closed the one it got ({@link
     * LostConnection#readAgainIfLost}). Writes (Reset, RecordBenchmark) are answered with {@link
     * #answer}, never retried.
     */
    static <T> void answerRead(StreamObserver<T> observer, String rpc, Callable<T> read) {
        answer(observer, rpc, () -> LostConnection.readAgainIfLost(rpc, read));
    }

    static <T> void answer(StreamObserver<T> observer, String rpc, Callable<T> work) {
        T response;
        try {
            response = work.call();
        } catch (StatusRuntimeException e) {
            observer.onError(e);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            observer.onError(
                    Status.CANCELLED.withDescription(rpc + " interrupted").asRuntimeException());
            return;
        } catch (Exception e) {
            // Kafka or PostgreSQL could not answer: say which, without a stack trace
            LOG.warn("{} failed: {}", rpc, e.toString(), e);
            Throwable cause =
                    e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            observer.onError(
                    Status.UNAVAILABLE
                            .withDescription(rpc + " failed: " + cause.getMessage())
                            .asRuntimeException());
            return;
        }
        observer.onNext(response);
        observer.onCompleted();
    }
}
