package dev.exactlyonce.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The chart under test, rendered as `helm template exactly-once helm/exactly-once -n exactly-once --set ...`. */
final class Chart {

    static final Path REPO_ROOT = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
    static final Path DIRECTORY = REPO_ROOT.resolve("helm/exactly-once");
    static final String RELEASE = "exactly-once";
    static final String NAMESPACE = "exactly-once";

    private Chart() {
    }

    static String render(Map<String, ?> values) {
        TemplateCommand template = new Helm(DIRECTORY).template().withName(RELEASE).withNamespace(NAMESPACE);
        values.forEach(template::set);
        return template.call();
    }

    static List<HasMetadata> manifests(Map<String, ?> values) {
        return StrictManifests.parse(render(values));
    }

    static <T extends HasMetadata> T find(List<HasMetadata> manifests, Class<T> kind, String name) {
        return manifests.stream()
                .filter(m -> kind.isInstance(m) && m.getMetadata().getName().equals(name))
                .map(kind::cast).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name + " rendered"));
    }
}
