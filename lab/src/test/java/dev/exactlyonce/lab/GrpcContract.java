package dev.exactlyonce.lab;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The contract's methods as the generated code describes them, for the documented grpcurl commands:
 * a full method name to its descriptor and request type, and a grpcurl {@code -d} body parsed the
 * way the services' contract reads JSON, strictly (an unknown or misspelt field fails).
 */
final class GrpcContract {

    static final List<ServiceDescriptor> SERVICES =
            List.of(
                    OrderServiceGrpc.getServiceDescriptor(),
                    ConsumerControlGrpc.getServiceDescriptor(),
                    BillingControlGrpc.getServiceDescriptor(),
                    QueryServiceGrpc.getServiceDescriptor());

    private GrpcContract() {}

    /** The method of this full name ({@code exactlyonce.v1.OrderService/PlaceOrder}), if any. */
    static Optional<MethodDescriptor<?, ?>> method(String fullMethodName) {
        return SERVICES.stream()
                .flatMap(s -> s.getMethods().stream())
                .<MethodDescriptor<?, ?>>map(m -> m)
                .filter(m -> m.getFullMethodName().equals(fullMethodName))
                .findFirst();
    }

    /** The request type's default instance, from the method's protobuf marshaller. */
    static Message requestType(MethodDescriptor<?, ?> method) {
        return (Message)
                ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller())
                        .getMessagePrototype();
    }

    /**
     * The request(s) grpcurl sends for this body: none given is one empty request; a
     * client-streaming method takes one JSON object after another. Strict: no unknown field.
     */
    static List<Message> requests(MethodDescriptor<?, ?> method, String body)
            throws InvalidProtocolBufferException {
        Message type = requestType(method);
        if (body == null) {
            return List.of(type);
        }
        List<String> objects =
                method.getType().clientSendsOneMessage() ? List.of(body) : jsonObjects(body);
        List<Message> requests = new ArrayList<>();
        for (String json : objects) {
            Message.Builder builder = type.toBuilder();
            JsonFormat.parser().merge(json, builder);
            requests.add(builder.build());
        }
        return requests;
    }

    /** Top-level JSON objects one after another, as grpcurl reads a stream of requests. */
    private static List<String> jsonObjects(String body) {
        List<String> objects = new ArrayList<>();
        int depth = 0;
        int start = -1;
        boolean inString = false;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' && depth++ == 0) {
                start = i;
            } else if (c == '}' && --depth == 0) {
                objects.add(body.substring(start, i + 1));
            }
        }
        if (objects.isEmpty() || depth != 0) {
            objects.add(body); // let the parser report it
        }
        return objects;
    }
}
