package dev.exactlyonce.lab;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.exactlyonce.grpc.v1.AuditRequest;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import dev.exactlyonce.grpc.v1.UpdateBillingConfigRequest;
import dev.exactlyonce.grpc.v1.UpdateConsumerConfigRequest;
import dev.exactlyonce.grpc.v1.UpdateProducerConfigRequest;
import dev.exactlyonce.lab.runner.Endpoints;
import dev.exactlyonce.lab.runner.ServicePorts;
import dev.exactlyonce.server.RpcClass;
import dev.exactlyonce.server.RpcClasses;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every body the lab prints in its cheat sheet is valid JSON of the contract (strict: unknown
 * fields fail), and every control call in it carries the run's token from its file.
 */
class CheatSheetTest {

    private static final Map<String, Message> REQUEST_TYPES =
            Map.of(
                    "OrderService/PlaceOrder", PlaceOrderRequest.getDefaultInstance(),
                    "OrderService/UpdateProducerConfig",
                            UpdateProducerConfigRequest.getDefaultInstance(),
                    "ConsumerControl/UpdateConsumerConfig",
                            UpdateConsumerConfigRequest.getDefaultInstance(),
                    "BillingControl/UpdateBillingConfig",
                            UpdateBillingConfigRequest.getDefaultInstance(),
                    "QueryService/Audit", AuditRequest.getDefaultInstance());

    @Test
    void everyBodyParsesIntoItsRequestType() throws Exception {
        List<String> lines =
                CheatSheet.lines(Endpoints.of("127.0.0.1", ServicePorts.DEFAULT, 1), TOKEN_FILE);
        String text = String.join("\n", lines).replace("\\\n", " ");
        Matcher m = Pattern.compile("-d '([^']*)'\\s+\\S+ exactlyonce\\.v1\\.(\\S+)").matcher(text);
        int parsed = 0;
        while (m.find()) {
            Message type = REQUEST_TYPES.get(m.group(2));
            assertThat(type).as("request type of " + m.group(2)).isNotNull();
            Message.Builder builder = type.toBuilder();
            JsonFormat.parser().merge(m.group(1), builder);
            assertThat(builder.build()).isNotEqualTo(type);
            parsed++;
        }
        assertThat(parsed).isEqualTo(7);
        assertThat(text)
                .contains("127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003");
    }

    private static final Path TOKEN_FILE = Path.of("/tmp/lab-data/control-token");

    @Test
    void everyControlCallCarriesTheTokenAndNoOtherCallDoes() {
        List<String> lines =
                CheatSheet.lines(Endpoints.of("127.0.0.1", ServicePorts.DEFAULT, 1), TOKEN_FILE);
        String header = "-H \"authorization: Bearer $(cat /tmp/lab-data/control-token)\"";
        int control = 0;
        for (String line : lines) {
            Matcher m = Pattern.compile("exactlyonce\\.v1\\.(\\S+)").matcher(line);
            if (!m.find()) {
                continue;
            }
            if (RpcClasses.of("exactlyonce.v1." + m.group(1)) == RpcClass.CONTROL) {
                assertThat(line).as(m.group(1)).startsWith("  grpcurl -plaintext " + header + " ");
                control++;
            } else {
                assertThat(line).as(m.group(1)).doesNotContain("authorization");
            }
        }
        assertThat(control).as("mode switches, crash drills, Reset").isEqualTo(6);
        assertThat(String.join("\n", lines))
                .contains(
                        "drill --against 127.0.0.1 --control-token-file " + TOKEN_FILE,
                        "bench --against 127.0.0.1 --control-token-file " + TOKEN_FILE);
    }
}
