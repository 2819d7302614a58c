package dev.exactlyonce.helm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * skaffold.yaml's Helm release as `skaffold run -p &lt;profiles&gt;` hands it to `helm upgrade
 * --install`: the profiles' JSON patches applied in order, then setValues, the image templates
 * filled in as Skaffold fills them after a build, and valuesFiles.
 */
record SkaffoldRelease(
        Map<String, Object> setValues, Map<String, String> imageValues, List<Path> valuesFiles) {

    /**
     * The tag a Skaffold build gives an image (a digest-like tag; any value not "latest" will do).
     */
    static final String BUILT_TAG = "0123abcd";

    static SkaffoldRelease of(String... profiles) throws IOException {
        Map<String, Object> config = deepCopy(Rendered.repoYaml("skaffold.yaml"));
        List<Map<String, Object>> declared = Rendered.path(config, "profiles");
        for (String profile : profiles) {
            Map<String, Object> declaration =
                    declared.stream()
                            .filter(p -> profile.equals(p.get("name")))
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new AssertionError(
                                                    "skaffold.yaml has no profile " + profile));
            List<Map<String, Object>> patches = Rendered.path(declaration, "patches");
            patches.forEach(patch -> apply(config, patch));
        }
        List<Map<String, Object>> releases = Rendered.path(config, "deploy", "helm", "releases");
        Map<String, Object> release = releases.get(0);
        Map<String, Object> setValues = new LinkedHashMap<>(mapOrEmpty(release.get("setValues")));
        Map<String, String> imageValues = new LinkedHashMap<>();
        Map<String, Object> templates = mapOrEmpty(release.get("setValueTemplates"));
        templates.forEach((key, template) -> imageValues.put(key, fill((String) template)));
        @SuppressWarnings("unchecked")
        List<String> files =
                release.get("valuesFiles") == null
                        ? List.of()
                        : (List<String>) release.get("valuesFiles");
        return new SkaffoldRelease(
                setValues, imageValues, files.stream().map(Chart.REPO_ROOT::resolve).toList());
    }

    /** Every value Skaffold passes with --set: setValues, then the filled-in image templates. */
    Map<String, Object> values() {
        Map<String, Object> values = new LinkedHashMap<>(setValues);
        values.putAll(imageValues);
        return values;
    }

    Rendered render() {
        return new Rendered(StrictManifests.parse(Chart.render(values(), valuesFiles)));
    }

    /**
     * {{.IMAGE_REPO_exactly_once_producer}} → exactly-once/producer, {{.IMAGE_TAG_...}} → {@link
     * #BUILT_TAG}.
     */
    private static String fill(String template) {
        String variable = template.replaceAll("^\\{\\{\\.(IMAGE_(REPO|TAG)_[a-z_]+)}}$", "$1");
        if (variable.startsWith("IMAGE_TAG_")) {
            return BUILT_TAG;
        }
        if (variable.startsWith("IMAGE_REPO_exactly_once_")) {
            return "exactly-once/" + variable.substring("IMAGE_REPO_exactly_once_".length());
        }
        throw new AssertionError("unexpected Skaffold template " + template);
    }

    /** RFC 6902 add / replace, the two operations skaffold.yaml's profiles use. */
    @SuppressWarnings("unchecked")
    private static void apply(Map<String, Object> config, Map<String, Object> patch) {
        String op = (String) patch.get("op");
        List<String> tokens = new ArrayList<>();
        for (String token : ((String) patch.get("path")).substring(1).split("/", -1)) {
            tokens.add(token.replace("~1", "/").replace("~0", "~"));
        }
        Object parent = config;
        for (String token : tokens.subList(0, tokens.size() - 1)) {
            parent =
                    parent instanceof List<?> list
                            ? list.get(Integer.parseInt(token))
                            : ((Map<String, Object>) parent).get(token);
            if (parent == null) {
                throw new AssertionError("patch path " + patch.get("path") + " does not exist");
            }
        }
        String last = tokens.get(tokens.size() - 1);
        Map<String, Object> target = (Map<String, Object>) parent;
        switch (op) {
            case "add" -> target.put(last, patch.get("value"));
            case "replace" -> {
                if (!target.containsKey(last)) {
                    throw new AssertionError("replace of a missing member: " + patch.get("path"));
                }
                target.put(last, patch.get("value"));
            }
            default -> throw new AssertionError("operation " + op + " not modelled");
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T deepCopy(T value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put((String) k, deepCopy(v)));
            return (T) copy;
        }
        if (value instanceof List<?> list) {
            return (T) new ArrayList<>(list.stream().map(SkaffoldRelease::deepCopy).toList());
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mapOrEmpty(Object value) {
        return value == null ? Map.of() : (Map<String, Object>) value;
    }
}
