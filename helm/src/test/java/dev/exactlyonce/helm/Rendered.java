package dev.exactlyonce.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * One render of the chart, strictly parsed, with the look-ups the tests share; and the repository
 * files they compare it with.
 */
record Rendered(List<HasMetadata> manifests) {

    /** The four application services, each a workload named exactly-once-&lt;component&gt;. */
    static final List<String> SERVICES = List.of("producer", "consumer", "billing", "query");

    static Rendered with(Map<String, ?> values) {
        return new Rendered(Chart.manifests(values));
    }

    List<HasMetadata> workloads() {
        return manifests.stream()
                .filter(m -> m instanceof Deployment || m instanceof StatefulSet)
                .toList();
    }

    <T extends HasMetadata> List<T> ofKind(Class<T> kind) {
        return manifests.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    <T extends HasMetadata> T find(Class<T> kind, String name) {
        return Chart.find(manifests, kind, name);
    }

    PodTemplateSpec podTemplate(String component) {
        return podTemplate(
                workloads().stream()
                        .filter(w -> w.getMetadata().getName().equals("exactly-once-" + component))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                "no workload exactly-once-"
                                                        + component
                                                        + " rendered")));
    }

    Container container(String component) {
        return podTemplate(component).getSpec().getContainers().get(0);
    }

    static PodTemplateSpec podTemplate(HasMetadata workload) {
        return workload instanceof Deployment d
                ? d.getSpec().getTemplate()
                : ((StatefulSet) workload).getSpec().getTemplate();
    }

    static String env(Container container, String name) {
        return envVar(container, name)
                .map(EnvVar::getValue)
                .orElseThrow(() -> new AssertionError(container.getName() + " has no env " + name));
    }

    static Optional<EnvVar> envVar(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    static String rootPomProperty(String name) throws IOException {
        Matcher matcher =
                Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</")
                        .matcher(Files.readString(Chart.REPO_ROOT.resolve("pom.xml")));
        return Optional.of(matcher)
                .filter(Matcher::find)
                .map(m -> m.group(1))
                .orElseThrow(() -> new AssertionError("root pom.xml has no property " + name));
    }

    static Map<String, Object> repoYaml(String repoFile) throws IOException {
        return new Yaml().load(Files.readString(Chart.REPO_ROOT.resolve(repoFile)));
    }

    @SuppressWarnings("unchecked")
    static <T> T path(Map<String, Object> map, String... keys) {
        Object value = map;
        for (String key : keys) {
            value = ((Map<String, Object>) value).get(key);
        }
        return (T) value;
    }
}
