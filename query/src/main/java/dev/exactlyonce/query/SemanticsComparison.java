package dev.exactlyonce.query;

import dev.exactlyonce.grpc.v1.CompareSemanticsResponse;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.ModeSemantics;
import dev.exactlyonce.semantics.BillingSemantics;
import dev.exactlyonce.semantics.ConsumerSemantics;
import dev.exactlyonce.semantics.Guarantees;
import dev.exactlyonce.semantics.ProducerSemantics;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * CompareSemantics: per delivery mode, what it guarantees, the Kafka settings and the steps the
 * services really run (the classes in platform's {@code semantics} package, not a description of
 * them), and the newest benchmarks measured in it ({@link BenchmarkLog}).
 */
@Singleton
class SemanticsComparison {

    /** The modes compared, in this order; benchmarks are recorded for these only. */
    static final List<DeliveryMode> MODES =
            List.of(
                    DeliveryMode.AT_MOST_ONCE,
                    DeliveryMode.AT_LEAST_ONCE,
                    DeliveryMode.EXACTLY_ONCE);

    private final BenchmarkLog benchmarks;

    SemanticsComparison(BenchmarkLog benchmarks) {
        this.benchmarks = benchmarks;
    }

    CompareSemanticsResponse compare() {
        BenchmarkLog.Latest latest = benchmarks.latest();
        CompareSemanticsResponse.Builder response = CompareSemanticsResponse.newBuilder();
        for (DeliveryMode mode : MODES) {
            Guarantees guarantees = Guarantees.of(mode);
            response.addModes(
                    ModeSemantics.newBuilder()
                            .setMode(mode)
                            .setLoss(guarantees.loss())
                            .setDuplicates(guarantees.duplicates())
                            .setOrdering(guarantees.ordering())
                            // the producer's transactional.id is "order-producer-" + its pod name
                            .putAllProducerSettings(
                                    ProducerSemantics.kafkaSettings(mode, "order-producer-<pod>"))
                            .addAllConsumerSteps(
                                    ConsumerSemantics.steps(mode).stream()
                                            .map(ConsumerSemantics.Step::description)
                                            .toList())
                            .addAllBillingSteps(
                                    BillingSemantics.steps(mode).stream()
                                            .map(BillingSemantics.Step::description)
                                            .toList())
                            .addAllLatestBenchmarks(latest.of(mode)));
        }
        return response.build();
    }
}
