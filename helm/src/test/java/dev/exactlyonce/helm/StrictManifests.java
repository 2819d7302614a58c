package dev.exactlyonce.helm;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Parses rendered manifests into fabric8's Kubernetes model, strictly: a field the model does not
 * know (a misspelt key, a field at the wrong level) fails instead of being ignored.
 */
final class StrictManifests {

    /** Every kind the chart renders; a new kind must be added here, with its model class. */
    private static final Map<String, Class<? extends HasMetadata>> KINDS =
            Map.of(
                    "v1/Service", Service.class,
                    "v1/ConfigMap", ConfigMap.class,
                    "v1/Secret", Secret.class,
                    "apps/v1/Deployment", Deployment.class,
                    "apps/v1/StatefulSet", StatefulSet.class,
                    "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
                    "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class);

    /**
     * fabric8's model classes keep unknown fields in an "additionalProperties" map (a Jackson
     * any-setter), so FAIL_ON_UNKNOWN_PROPERTIES alone would never fire: the any-setter is removed.
     */
    private static final ObjectMapper MAPPER =
            JsonMapper.builder()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .addModule(
                            new SimpleModule()
                                    .setDeserializerModifier(
                                            new BeanDeserializerModifier() {
                                                @Override
                                                public BeanDeserializerBuilder updateBuilder(
                                                        DeserializationConfig config,
                                                        BeanDescription description,
                                                        BeanDeserializerBuilder builder) {
                                                    builder.setAnySetter(null);
                                                    return builder;
                                                }
                                            }))
                    .build();

    private StrictManifests() {}

    static List<HasMetadata> parse(String multiDocumentYaml) {
        List<HasMetadata> manifests = new ArrayList<>();
        for (Object document :
                new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(multiDocumentYaml)) {
            if (document == null) {
                continue;
            }
            Map<?, ?> map = (Map<?, ?>) document;
            String type = map.get("apiVersion") + "/" + map.get("kind");
            Class<? extends HasMetadata> modelClass = KINDS.get(type);
            if (modelClass == null) {
                throw new IllegalArgumentException("no model class registered for " + type);
            }
            try {
                manifests.add(MAPPER.convertValue(document, modelClass));
            } catch (IllegalArgumentException e) {
                Object name =
                        map.get("metadata") instanceof Map<?, ?> metadata
                                ? metadata.get("name")
                                : "?";
                throw new IllegalArgumentException(
                        type + " " + name + " does not fit the Kubernetes model: " + e.getMessage(),
                        e);
            }
        }
        return manifests;
    }
}
