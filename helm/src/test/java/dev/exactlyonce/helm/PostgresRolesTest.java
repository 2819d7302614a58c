package dev.exactlyonce.helm;

import static dev.exactlyonce.helm.Rendered.env;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PostgreSQL least privilege: no service logs in as the superuser; the consumer (Flyway) as the
 * schema's owner, query as a role that reads, inserts, updates and truncates and owns nothing. The
 * roles come from an init script the image runs on an empty volume.
 */
class PostgresRolesTest {

    @RegisterExtension static final KubeApiStub KUBE_API = new KubeApiStub();

    private final Rendered chart = Rendered.with(Map.of());

    @Test
    void consumerAndQueryLogInWithTheirOwnRoles() {
        Container consumer = chart.container("consumer");
        Container query = chart.container("query");

        assertThat(env(consumer, "DATASOURCES_DEFAULT_USERNAME")).isEqualTo("orders_app");
        assertThat(env(query, "DATASOURCES_DEFAULT_USERNAME")).isEqualTo("orders_query");
        assertThat(passwordKey(consumer)).isEqualTo("app-password");
        assertThat(passwordKey(query)).isEqualTo("query-password");
        for (String component : Rendered.SERVICES) {
            assertThat(chart.container(component).getEnv())
                    .extracting(EnvVar::getName)
                    .as(component)
                    .doesNotContain("JDBC_USER", "JDBC_PASSWORD");
        }
    }

    @Test
    void theImageRunsTheRolesScriptFromItsInitDirectory() {
        PodSpec pod = chart.podTemplate("postgres").getSpec();
        Container postgres = pod.getContainers().get(0);
        Volume init =
                pod.getVolumes().stream()
                        .filter(v -> v.getName().equals("init"))
                        .findFirst()
                        .orElseThrow();
        String script =
                chart.find(ConfigMap.class, "exactly-once-postgres-init")
                        .getData()
                        .get("10-roles.sh");

        assertThat(postgres.getVolumeMounts())
                .anyMatch(
                        m ->
                                m.getName().equals("init")
                                        && m.getMountPath().equals("/docker-entrypoint-initdb.d"));
        // executable: run as its own process; a non-executable .sh is sourced into the entrypoint's
        // shell
        assertThat(init.getConfigMap().getDefaultMode()).isEqualTo(0555);
        assertThat(env(postgres, "APP_DB_USER")).isEqualTo("orders_app");
        assertThat(env(postgres, "QUERY_DB_USER")).isEqualTo("orders_query");
        assertThat(script)
                .startsWith("#!/bin/bash")
                .contains("ALTER SCHEMA public OWNER TO :\"app_user\";")
                .contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC;")
                // the tables exist only after the consumer's first Flyway run: default privileges
                // of their owner
                .contains(
                        "ALTER DEFAULT PRIVILEGES FOR ROLE :\"app_user\" IN SCHEMA public\n  GRANT SELECT, INSERT, UPDATE, TRUNCATE ON TABLES TO :\"query_user\";")
                .contains("WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
                .doesNotContain("DELETE");
    }

    private static String passwordKey(Container container) {
        return Rendered.envVar(container, "DATASOURCES_DEFAULT_PASSWORD")
                .orElseThrow()
                .getValueFrom()
                .getSecretKeyRef()
                .getKey();
    }
}
