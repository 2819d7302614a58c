package dev.exactlyonce.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The chart under test, rendered as `helm template exactly-once helm/exactly-once -n exactly-once
 * --set ...`.
 */
final class Chart {

    static final Path REPO_ROOT =
            Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
    static final Path DIRECTORY = REPO_ROOT.resolve("helm/exactly-once");
    static final String RELEASE = "exactly-once";
    static final String NAMESPACE = "exactly-once";

    /**
     * Chart.yaml's kubeVersion constraint, which a copy of the chart leaves out for rendering (see
     * {@link #RENDERED}).
     */
    static final String KUBE_VERSION_LINE = "kubeVersion: \">=1.28.0-0\"";

    /**
     * What the tests render: the chart, copied with its kubeVersion line removed and nothing else
     * changed. helm-java's embedded Helm renders offline as if for Kubernetes v1.20.0 (a Helm
     * release binary assumes the Kubernetes version it was built against) and has no
     * --kube-version, so it would refuse the chart. ChartRenderTest checks that the real chart is
     * refused for that reason.
     */
    static final Path RENDERED = copyWithoutKubeVersion();

    private Chart() {}

    private static Path copyWithoutKubeVersion() {
        Path copy = REPO_ROOT.resolve("helm/target/chart-without-kube-version/exactly-once");
        try (Stream<Path> files = Files.walk(DIRECTORY)) {
            for (Path source : files.toList()) {
                Path target = copy.resolve(DIRECTORY.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Path chartYaml = copy.resolve("Chart.yaml");
            String original = Files.readString(chartYaml);
            if (!original.contains(KUBE_VERSION_LINE)) {
                throw new IllegalStateException("Chart.yaml no longer has " + KUBE_VERSION_LINE);
            }
            Files.writeString(chartYaml, original.replace(KUBE_VERSION_LINE, ""));
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String render(Map<String, ?> values) {
        return render(RENDERED, values);
    }

    static String render(Path chartDirectory, Map<String, ?> values) {
        TemplateCommand template =
                new Helm(chartDirectory).template().withName(RELEASE).withNamespace(NAMESPACE);
        values.forEach(template::set);
        return template.call();
    }

    /**
     * `helm template ... -f file... --set ...`: values files first, --set values over them, as Helm
     * and Skaffold do.
     */
    static String render(Map<String, ?> values, List<Path> valuesFiles) {
        TemplateCommand template =
                new Helm(RENDERED).template().withName(RELEASE).withNamespace(NAMESPACE);
        valuesFiles.forEach(template::withValuesFile);
        values.forEach(template::set);
        return template.call();
    }

    /**
     * NOTES.txt as `helm install` prints it. `helm template` leaves NOTES out, so a copy of the
     * chart renders the same file through `tpl` into a ConfigMap, with the same values and release.
     */
    static String notes(Map<String, ?> values) {
        Path copy = REPO_ROOT.resolve("helm/target/chart-with-notes/exactly-once");
        try (Stream<Path> files = Files.walk(RENDERED)) {
            for (Path source : files.toList()) {
                Path target = copy.resolve(RENDERED.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.createDirectories(copy.resolve("files"));
            Files.copy(
                    RENDERED.resolve("templates/NOTES.txt"),
                    copy.resolve("files/NOTES.txt"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(
                    copy.resolve("templates/notes-under-test.yaml"),
                    """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata:
                      name: notes-under-test
                    data:
                      notes: {{ tpl (.Files.Get "files/NOTES.txt") . | quote }}
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<HasMetadata> manifests = StrictManifests.parse(render(copy, values));
        return find(manifests, io.fabric8.kubernetes.api.model.ConfigMap.class, "notes-under-test")
                .getData()
                .get("notes");
    }

    /** `helm template ... -f valuesFile`. */
    static List<HasMetadata> manifests(Path valuesFile) {
        return StrictManifests.parse(
                new Helm(RENDERED)
                        .template()
                        .withName(RELEASE)
                        .withNamespace(NAMESPACE)
                        .withValuesFile(valuesFile)
                        .call());
    }

    static List<HasMetadata> manifests(Map<String, ?> values) {
        return StrictManifests.parse(render(values));
    }

    static <T extends HasMetadata> T find(List<HasMetadata> manifests, Class<T> kind, String name) {
        return manifests.stream()
                .filter(m -> kind.isInstance(m) && m.getMetadata().getName().equals(name))
                .map(kind::cast)
                .findFirst()
                .orElseThrow(
                        () ->
                                new AssertionError(
                                        "no " + kind.getSimpleName() + " " + name + " rendered"));
    }
}
