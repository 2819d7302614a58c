package dev.exactlyonce.lab;

import dev.exactlyonce.lab.drill.KubectlFaults;
import dev.exactlyonce.lab.drill.LabFaults;
import dev.exactlyonce.lab.drill.PipelineFaults;
import dev.exactlyonce.lab.runner.Endpoints;
import dev.exactlyonce.lab.runner.Lab;
import dev.exactlyonce.lab.runner.LabSettings;
import dev.exactlyonce.lab.runner.PipelineClients;
import dev.exactlyonce.lab.runner.Progress;
import dev.exactlyonce.lab.runner.ServicePorts;
import dev.exactlyonce.testkit.ControlToken;
import java.util.Optional;

/**
 * What drill and bench run against: a lab this process starts (the default), or services already
 * running at {@code --against HOST} on the standard ports (kind's NodePorts, or a {@code lab up}).
 */
final class Target implements AutoCloseable {

    private final Lab lab;
    private final PipelineClients clients;
    private final PipelineFaults faults;

    private Target(Lab lab, PipelineClients clients, PipelineFaults faults) {
        this.lab = lab;
        this.clients = clients;
        this.faults = faults;
    }

    static Target open(
            String against,
            ControlTokenOption controlToken,
            String namespace,
            LabSettings settings,
            Progress progress)
            throws Exception {
        if (against != null) {
            ControlToken token = controlToken.forAgainst(against, settings);
            progress.line(
                    "running against the services at %s (ports %d/%d/%d/%d); kills with kubectl",
                    against,
                    ServicePorts.DEFAULT.producerGrpc(),
                    ServicePorts.DEFAULT.consumerGrpc(0),
                    ServicePorts.DEFAULT.billingGrpc(),
                    ServicePorts.DEFAULT.queryGrpc());
            return new Target(
                    null,
                    new PipelineClients(Endpoints.of(against, ServicePorts.DEFAULT, 1), token),
                    new KubectlFaults(namespace));
        }
        return of(Lab.start(settings, progress));
    }

    static Target of(Lab lab) {
        return new Target(
                lab,
                new PipelineClients(lab.clientEndpoints(), lab.controlToken()),
                new LabFaults(lab));
    }

    Optional<Lab> lab() {
        return Optional.ofNullable(lab);
    }

    PipelineClients clients() {
        return clients;
    }

    PipelineFaults faults() {
        return faults;
    }

    @Override
    public void close() {
        faults.close();
        clients.close();
        if (lab != null) {
            lab.close();
        }
    }
}
