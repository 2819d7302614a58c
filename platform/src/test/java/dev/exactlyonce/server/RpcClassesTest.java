package dev.exactlyonce.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.exactlyonce.grpc.v1.BillingControlGrpc;
import dev.exactlyonce.grpc.v1.ConsumerControlGrpc;
import dev.exactlyonce.grpc.v1.OrderServiceGrpc;
import dev.exactlyonce.grpc.v1.QueryServiceGrpc;
import io.grpc.ServiceDescriptor;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every RPC of the contract is classified on purpose: a new one fails here until someone decides
 * who may call it.
 */
class RpcClassesTest {

    @Test
    void everyMethodOfEveryServiceInTheContractIsInTheTable() {
        Set<String> contract = new LinkedHashSet<>();
        contractFiles()
                .flatMap(file -> file.getServices().stream())
                .flatMap(service -> service.getMethods().stream())
                .map(RpcClassesTest::fullName)
                .forEach(contract::add);

        assertThat(contract).as("the contract's services").isNotEmpty();
        assertThat(RpcClasses.table().keySet())
                .as(
                        "every RPC of the contract is in RpcClasses' table, and the table names no RPC the contract lacks")
                .containsExactlyInAnyOrderElementsOf(contract);
    }

    @Test
    void everyStateChangeOtherThanPlacingOrdersIsControl() {
        assertThat(RpcClasses.table())
                .containsEntry("exactlyonce.v1.QueryService/Reset", RpcClass.CONTROL)
                .containsEntry("exactlyonce.v1.QueryService/RecordBenchmark", RpcClass.CONTROL)
                .containsEntry("exactlyonce.v1.OrderService/UpdateProducerConfig", RpcClass.CONTROL)
                .containsEntry(
                        "exactlyonce.v1.ConsumerControl/UpdateConsumerConfig", RpcClass.CONTROL)
                .containsEntry(
                        "exactlyonce.v1.ConsumerControl/ResetConsumerStats", RpcClass.CONTROL)
                .containsEntry(
                        "exactlyonce.v1.BillingControl/UpdateBillingConfig", RpcClass.CONTROL)
                .containsEntry("exactlyonce.v1.BillingControl/ResetBillingStats", RpcClass.CONTROL)
                .containsEntry("exactlyonce.v1.OrderService/PlaceOrder", RpcClass.PLACE_ORDER)
                .containsEntry("exactlyonce.v1.QueryService/Audit", RpcClass.READ);
        // by name: anything that updates, resets or records is control
        assertThat(RpcClasses.table())
                .allSatisfy(
                        (method, rpcClass) -> {
                            String name = method.substring(method.indexOf('/') + 1);
                            if (name.startsWith("Update")
                                    || name.startsWith("Reset")
                                    || name.startsWith("Record")) {
                                assertThat(rpcClass).as(method).isEqualTo(RpcClass.CONTROL);
                            }
                            if (name.startsWith("Get") || name.startsWith("List")) {
                                assertThat(rpcClass).as(method).isEqualTo(RpcClass.READ);
                            }
                        });
    }

    @Test
    void healthAndReflectionStayOpenAndAnythingUnknownIsControl() {
        for (ServiceDescriptor service :
                new ServiceDescriptor[] {
                    HealthGrpc.getServiceDescriptor(),
                    ServerReflectionGrpc.getServiceDescriptor(),
                    io.grpc.reflection.v1alpha.ServerReflectionGrpc.getServiceDescriptor()
                }) {
            service.getMethods()
                    .forEach(
                            method ->
                                    assertThat(RpcClasses.of(method.getFullMethodName()))
                                            .as(method.getFullMethodName())
                                            .isEqualTo(RpcClass.INFRASTRUCTURE));
        }
        assertThat(RpcClasses.of("exactlyonce.v1.QueryService/DropEverything"))
                .isEqualTo(RpcClass.CONTROL);
        assertThat(RpcClasses.of("exactlyonce.v2.Anything/Else")).isEqualTo(RpcClass.CONTROL);
        assertThat(RpcClasses.of("grpc.health.v1.HealthX/Check")).isEqualTo(RpcClass.CONTROL);
        assertThat(RpcClasses.of("nonsense")).isEqualTo(RpcClass.CONTROL);
    }

    /**
     * The files of the four services and what they import: a new service in any of them is seen.
     */
    private static Stream<FileDescriptor> contractFiles() {
        Set<FileDescriptor> files = new LinkedHashSet<>();
        Stream.of(
                        OrderServiceGrpc.getServiceDescriptor(),
                        ConsumerControlGrpc.getServiceDescriptor(),
                        BillingControlGrpc.getServiceDescriptor(),
                        QueryServiceGrpc.getServiceDescriptor())
                .map(
                        service ->
                                ((ProtoFileDescriptorSupplier) service.getSchemaDescriptor())
                                        .getFileDescriptor())
                .forEach(
                        file -> {
                            files.add(file);
                            files.addAll(file.getDependencies());
                        });
        return files.stream();
    }

    private static String fullName(MethodDescriptor method) {
        return io.grpc.MethodDescriptor.generateFullMethodName(
                method.getService().getFullName(), method.getName());
    }
}
