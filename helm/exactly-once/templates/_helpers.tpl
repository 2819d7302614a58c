{{/* The release's base name: "exactly-once" for `helm install exactly-once ...`. */}}
{{- define "eo.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels; call with (dict "root" $ "component" "consumer"). */}}
{{- define "eo.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "eo.labels" -}}
{{ include "eo.selectorLabels" . }}
app.kubernetes.io/part-of: exactly-once
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* The headless Service that gives each Kafka pod its DNS name. */}}
{{- define "eo.kafkaHeadless" -}}
{{ include "eo.fullname" . }}-kafka-headless.{{ .Release.Namespace }}.svc
{{- end -}}

{{/* The ClusterIP Service in front of the ready brokers. */}}
{{- define "eo.kafkaBootstrapService" -}}
{{ include "eo.fullname" . }}-kafka.{{ .Release.Namespace }}.svc
{{- end -}}

{{/*
The brokers the services bootstrap from. Bundled: first the ClusterIP Service, whose name resolves as
soon as the Service exists (kafka-clients refuse to construct a client when no bootstrap address
resolves, and a pod's own DNS name resolves only once the pod has an IP), then every broker by its
pod's DNS name (so a client still finds the cluster while the Service has no ready broker).
kafka.bootstrapServers with kafka.enabled=false.
*/}}
{{- define "eo.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled -}}
{{- $brokers := list (printf "%s:%d" (include "eo.kafkaBootstrapService" .) (int .Values.kafka.port)) -}}
{{- range $ordinal := until (int .Values.kafka.replicas) -}}
{{- $brokers = append $brokers (printf "%s-kafka-%d.%s:%d" (include "eo.fullname" $) $ordinal (include "eo.kafkaHeadless" $) (int $.Values.kafka.port)) -}}
{{- end -}}
{{- join "," $brokers -}}
{{- else -}}
{{- required "kafka.bootstrapServers is required with kafka.enabled=false" .Values.kafka.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{/* The ports of the Kafka the services talk to (for the NetworkPolicies). */}}
{{- define "eo.kafkaClientPorts" -}}
{{- $ports := list -}}
{{- range $address := splitList "," (include "eo.kafkaBootstrap" .) -}}
{{- $ports = append $ports (int (last (splitList ":" (trim $address)))) -}}
{{- end -}}
{{- $ports | uniq | toJson -}}
{{- end -}}

{{- define "eo.postgresHost" -}}
{{- if .Values.postgres.enabled -}}
{{ include "eo.fullname" . }}-postgres.{{ .Release.Namespace }}.svc
{{- else -}}
{{- required "postgres.host is required with postgres.enabled=false" .Values.postgres.host -}}
{{- end -}}
{{- end -}}

{{/* Where the services find the external PostgreSQL's CA certificate (postgres.caSecret). */}}
{{- define "eo.postgresCaDirectory" -}}/etc/postgres-ca{{- end -}}

{{/*
The JDBC URL; with an external PostgreSQL, its sslmode and CA certificate (pgjdbc reads a PEM file as
sslrootcert).
*/}}
{{- define "eo.jdbcUrl" -}}
{{- $pg := .Values.postgres -}}
{{- $parameters := list -}}
{{- if and $pg.enabled $pg.sslMode -}}
{{- fail "postgres.sslMode is for an external PostgreSQL (postgres.enabled=false): the bundled one has no TLS" -}}
{{- end -}}
{{- with $pg.sslMode -}}
{{- $parameters = append $parameters (printf "sslmode=%s" .) -}}
{{- end -}}
{{- if and (not $pg.enabled) $pg.caSecret -}}
{{- $parameters = append $parameters (printf "sslrootcert=%s/%s" (include "eo.postgresCaDirectory" .) $pg.caCertKey) -}}
{{- end -}}
jdbc:postgresql://{{ include "eo.postgresHost" . }}:{{ $pg.port }}/{{ $pg.database }}{{ if $parameters }}?{{ join "&" $parameters }}{{ end }}
{{- end -}}

{{/* True (non-empty) when consumer and query mount the external PostgreSQL's CA certificate. */}}
{{- define "eo.postgresCaMounted" -}}
{{- if and (not .Values.postgres.enabled) .Values.postgres.caSecret -}}true{{- end -}}
{{- end -}}

{{/* The Secret with the database password: an existing one, or the one the chart generates. */}}
{{- define "eo.postgresSecretName" -}}
{{- if .Values.postgres.existingSecret -}}
{{- .Values.postgres.existingSecret -}}
{{- else if .Values.postgres.enabled -}}
{{- include "eo.fullname" . }}-postgres
{{- else -}}
{{- required "postgres.existingSecret is required with postgres.enabled=false" "" -}}
{{- end -}}
{{- end -}}

{{/* The chart's own Secret of the bundled PostgreSQL: the services' role passwords (and the superuser's). */}}
{{- define "eo.postgresRolesSecretName" -}}
{{- include "eo.fullname" . }}-postgres
{{- end -}}

{{- define "eo.postgresPasswordKey" -}}
{{- if .Values.postgres.existingSecret -}}{{ .Values.postgres.passwordKey }}{{- else -}}password{{- end -}}
{{- end -}}

{{- define "eo.jaegerOtlpEndpoint" -}}
http://{{ include "eo.fullname" . }}-jaeger.{{ .Release.Namespace }}.svc:{{ .Values.observability.jaeger.otlpGrpcPort }}
{{- end -}}

{{/*
A password generated on the first install and then read back from the live Secret, so upgrades keep
it (PostgreSQL only reads POSTGRES_PASSWORD when it initialises an empty volume).
Call with (dict "root" $ "secret" "<name>" "key" "<key>" "given" "<value from values or empty>").
`helm template` has no cluster to look up: it renders a fresh random value.
*/}}
{{- define "eo.keptPassword" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if .given -}}
{{- .given | b64enc -}}
{{- else if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- randAlphaNum (.length | default 24 | int) | b64enc -}}
{{- end -}}
{{- end -}}

{{/* The Secret with the control-plane token: an existing one, or the one the chart generates. */}}
{{- define "eo.controlTokenSecretName" -}}
{{- .Values.controlPlane.existingSecret | default (printf "%s-control" (include "eo.fullname" .)) -}}
{{- end -}}

{{- define "eo.controlTokenKey" -}}
{{- if .Values.controlPlane.existingSecret -}}{{ .Values.controlPlane.tokenKey }}{{- else -}}control-token{{- end -}}
{{- end -}}

{{/*
The JVM's DNS cache (seconds): a recreated pod keeps its name and gets a new IP. The sun.net.* system
properties apply because the images' java.security leaves networkaddress.cache.ttl unset.
*/}}
{{- define "eo.dnsCacheOptions" -}}
-Dsun.net.inetaddr.ttl={{ int .Values.dnsCache.ttlSeconds }} -Dsun.net.inetaddr.negative.ttl={{ int .Values.dnsCache.negativeTtlSeconds }}
{{- end -}}

{{/* Environment shared by the four services. */}}
{{- define "eo.commonEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "eo.kafkaBootstrap" . | quote }}
{{- include "eo.kafkaSecurityEnv" . }}
# the bearer token every state-changing control RPC needs (app.control.token)
- name: APP_CONTROL_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "eo.controlTokenSecretName" . }}
      key: {{ include "eo.controlTokenKey" . | quote }}
{{- if .Values.observability.enabled }}
- name: OTEL_TRACES_EXPORTER
  value: otlp
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ include "eo.jaegerOtlpEndpoint" . | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .Values.observability.tracing.sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .Values.observability.tracing.sampleRatio | quote }}
{{- end }}
{{- end -}}

{{/*
Client security for an external Kafka (kafka.enabled=false), as Micronaut-mapped Kafka client
properties (KAFKA_SECURITY_PROTOCOL -> kafka.security.protocol, ...). Nothing for the bundled Kafka.
*/}}
{{- define "eo.kafkaSecurityEnv" -}}
{{- $security := .Values.kafka.security -}}
{{- if and (not .Values.kafka.enabled) (ne $security.protocol "PLAINTEXT") }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ $security.protocol | quote }}
{{- if hasPrefix "SASL_" $security.protocol }}
- name: KAFKA_SASL_MECHANISM
  value: {{ required "kafka.security.saslMechanism is required with a SASL_* protocol" $security.saslMechanism | quote }}
- name: KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.security.saslSecret is required with a SASL_* protocol" $security.saslSecret }}
      key: {{ $security.jaasConfigKey | quote }}
{{- end }}
{{- if and (hasSuffix "SSL" $security.protocol) $security.caSecret }}
- name: KAFKA_SSL_TRUSTSTORE_TYPE
  value: PEM
- name: KAFKA_SSL_TRUSTSTORE_LOCATION
  value: /etc/kafka-ca/{{ $security.caCertKey }}
{{- end }}
{{- end }}
{{- end -}}

{{/* True (non-empty) when the services mount the external Kafka's CA certificate. */}}
{{- define "eo.kafkaCaMounted" -}}
{{- $security := .Values.kafka.security -}}
{{- if and (not .Values.kafka.enabled) (hasSuffix "SSL" $security.protocol) $security.caSecret -}}true{{- end -}}
{{- end -}}

{{/*
The database connection of consumer or query, each with its own role (least privilege): bundled, the
roles the init script creates (consumer: the schema owner, which runs Flyway; query: read, insert,
update, TRUNCATE), their passwords in the chart's Secret; external, the user and password of
postgres.existingSecret (query: postgres.queryExistingSecret when set).
Micronaut maps DATASOURCES_DEFAULT_USERNAME to datasources.default.username, over application.yml.
Call with (dict "root" $ "component" "consumer").
*/}}
{{- define "eo.databaseEnv" -}}
{{- $pg := .root.Values.postgres -}}
{{- $isQuery := eq .component "query" -}}
- name: JDBC_URL
  value: {{ include "eo.jdbcUrl" .root | quote }}
{{- if $pg.enabled }}
- name: DATASOURCES_DEFAULT_USERNAME
  value: {{ ternary $pg.queryUser $pg.appUser $isQuery | quote }}
- name: DATASOURCES_DEFAULT_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "eo.postgresRolesSecretName" .root }}
      key: {{ ternary "query-password" "app-password" $isQuery | quote }}
{{- else }}
{{- $secret := include "eo.postgresSecretName" .root -}}
{{- if and $isQuery $pg.queryExistingSecret }}{{ $secret = $pg.queryExistingSecret }}{{ end }}
- name: DATASOURCES_DEFAULT_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $pg.userKey | quote }}
- name: DATASOURCES_DEFAULT_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $pg.passwordKey | quote }}
{{- end }}
{{- end -}}

{{/*
The pod spec of a service (producer, consumer, billing, query).
Call with (dict "root" $ "component" "consumer" "service" .Values.consumer "env" "<extra env YAML>"
"database" true) — database: mount the external PostgreSQL's CA when there is one.
Probes: grpc.health.v1.Health answers service "liveness" SERVING while the process runs, and
service "" SERVING only while Kafka and PostgreSQL are reachable. So a pod that waits for its
dependencies is not ready (no traffic) but is not restarted either: no init containers and no
crash loops while Kafka starts.
*/}}
{{- define "eo.servicePodSpec" -}}
{{- $root := .root -}}
{{- $svc := .service -}}
enableServiceLinks: false
# no service talks to the Kubernetes API: no ServiceAccount token in the pod
automountServiceAccountToken: false
restartPolicy: Always
terminationGracePeriodSeconds: {{ $svc.terminationGracePeriodSeconds | default 30 }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
containers:
  - name: {{ .component }}
    image: "{{ $svc.image.repository }}:{{ $svc.image.tag }}"
    imagePullPolicy: {{ $root.Values.imagePullPolicy }}
    ports:
      - name: grpc
        containerPort: {{ $svc.grpcPort }}
        protocol: TCP
      - name: management
        containerPort: {{ $svc.managementPort }}
        protocol: TCP
    env:
      - name: GRPC_PORT
        value: {{ $svc.grpcPort | quote }}
      - name: MANAGEMENT_PORT
        value: {{ $svc.managementPort | quote }}
      - name: JAVA_TOOL_OPTIONS
        value: {{ printf "%s %s" $svc.javaToolOptions (include "eo.dnsCacheOptions" $root) | quote }}
      {{- include "eo.commonEnv" $root | nindent 6 }}
      {{- with .env }}
      {{- . | nindent 6 }}
      {{- end }}
    startupProbe:
      grpc:
        port: {{ $svc.grpcPort }}
        service: liveness
      periodSeconds: 2
      # up to 3 minutes for a cold JVM on a busy kind node
      failureThreshold: 90
    livenessProbe:
      grpc:
        port: {{ $svc.grpcPort }}
        service: liveness
      periodSeconds: 10
      timeoutSeconds: 3
      failureThreshold: 3
    readinessProbe:
      grpc:
        port: {{ $svc.grpcPort }}
      periodSeconds: 5
      timeoutSeconds: 3
      failureThreshold: 2
    resources:
      {{- toYaml $svc.resources | nindent 6 }}
    securityContext:
      {{- toYaml $root.Values.containerSecurityContext | nindent 6 }}
    volumeMounts:
      # the root filesystem is read-only; the JVM and Netty need a writable /tmp
      - name: tmp
        mountPath: /tmp
      {{- if include "eo.kafkaCaMounted" $root }}
      - name: kafka-ca
        mountPath: /etc/kafka-ca
        readOnly: true
      {{- end }}
      {{- if and .database (include "eo.postgresCaMounted" $root) }}
      - name: postgres-ca
        mountPath: {{ include "eo.postgresCaDirectory" $root }}
        readOnly: true
      {{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- if include "eo.kafkaCaMounted" $root }}
  - name: kafka-ca
    secret:
      secretName: {{ $root.Values.kafka.security.caSecret }}
      items:
        - key: {{ $root.Values.kafka.security.caCertKey | quote }}
          path: {{ $root.Values.kafka.security.caCertKey | quote }}
  {{- end }}
  {{- if and .database (include "eo.postgresCaMounted" $root) }}
  - name: postgres-ca
    secret:
      secretName: {{ $root.Values.postgres.caSecret }}
      items:
        - key: {{ $root.Values.postgres.caCertKey | quote }}
          path: {{ $root.Values.postgres.caCertKey | quote }}
  {{- end }}
{{- end -}}

{{/*
Services of a component: a Service for gRPC (a NodePort, published by kind-config.yaml, with
externalGrpc.enabled; ClusterIP otherwise) and a
headless one that lists every pod, ready or not, for Prometheus' DNS discovery and the StatefulSet.
Call with (dict "root" $ "component" "consumer" "service" .Values.consumer).
*/}}
{{- define "eo.serviceServices" -}}
{{- $external := .root.Values.externalGrpc.enabled -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "eo.fullname" .root }}-{{ .component }}
  labels:
    {{- include "eo.labels" . | nindent 4 }}
spec:
  # NodePort only when asked for (externalGrpc.enabled); otherwise reachable inside the cluster only
  type: {{ ternary "NodePort" "ClusterIP" $external }}
  selector:
    {{- include "eo.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .service.grpcPort }}
      targetPort: grpc
      {{- if $external }}
      nodePort: {{ .service.nodePort }}
      {{- end }}
      protocol: TCP
      appProtocol: grpc
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "eo.fullname" .root }}-{{ .component }}-pods
  labels:
    {{- include "eo.labels" . | nindent 4 }}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    {{- include "eo.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .service.grpcPort }}
      targetPort: grpc
      protocol: TCP
    - name: management
      port: {{ .service.managementPort }}
      targetPort: management
      protocol: TCP
{{- end -}}

{{/*
Settings defaults as environment variables that Micronaut maps to properties:
producer.settings.groupCommitMaxMs -> APP_PRODUCER_GROUP_COMMIT_MAX_MS -> app.producer.group-commit-max-ms.
Call with (dict "prefix" "producer" "settings" .Values.producer.settings).
*/}}
{{- define "eo.settingsEnv" -}}
{{- range $key, $value := .settings }}
- name: {{ printf "APP_%s_%s" $.prefix ($key | snakecase) | upper }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "eo.consumerGroupEnv" -}}
- name: CONSUMER_GROUP_ID
  value: {{ .Values.consumer.groupId | quote }}
{{- end -}}

{{/* The consumer group protocol of the group consumers, consumer and billing (app.group-protocol). */}}
{{- define "eo.groupProtocolEnv" -}}
- name: APP_GROUP_PROTOCOL
  value: {{ .Values.groupProtocol | quote }}
{{- end -}}

{{- define "eo.producerAddressEnv" -}}
- name: PRODUCER_ADDRESS
  value: "{{ include "eo.fullname" . }}-producer.{{ .Release.Namespace }}.svc:{{ .Values.producer.grpcPort }}"
{{- end -}}

{{/*
A NetworkPolicy peer: the pods of this release with one of the given components.
Call with (dict "root" $ "components" (list "consumer" "query")).
*/}}
{{- define "eo.podsOf" -}}
podSelector:
  matchLabels:
    app.kubernetes.io/instance: {{ .root.Release.Name }}
  matchExpressions:
    - key: app.kubernetes.io/component
      operator: In
      values: {{ toJson .components }}
{{- end -}}

{{/*
The 3-broker readiness check (bash): the broker accepts connections, and every under-replicated
partition that has a replica on this broker (KAFKA_NODE_ID) has it in its ISR. kafka-topics prints one
tab-separated line per partition: "Topic: t  Partition: p  Leader: l  Replicas: 0,1,2  Isr: 1,2 ...".
*/}}
{{- define "eo.kafkaInSyncCheck" -}}
marker=/tmp/in-sync-since-start
(exec 3<>/dev/tcp/127.0.0.1/{{ .Values.kafka.port }}) 2>/dev/null || exit 1
[ -f "$marker" ] && exit 0
printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=8000\n' > /tmp/in-sync-check.properties
described=$(KAFKA_HEAP_OPTS="-Xmx64m" KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1" \
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server 127.0.0.1:{{ .Values.kafka.port }} \
  --command-config /tmp/in-sync-check.properties --describe --under-replicated-partitions) || exit 1
echo "$described" | awk -F '\t' -v node="$KAFKA_NODE_ID" '
  /Partition: / {
    replicas = ""; isr = ""
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^Replicas: /) replicas = substr($i, 11)
      if ($i ~ /^Isr: /) isr = substr($i, 6)
    }
    if (index("," replicas ",", "," node ",") && !index("," isr ",", "," node ",")) behind++
  }
  END { exit behind > 0 }' || exit 1
touch "$marker"
{{- end -}}

{{/*
The bundled PostgreSQL's roles (bash + psql, as the superuser over the local socket). Idempotent: it
creates what is missing, sets the passwords from the Secret, hands tables and functions an older chart's
superuser-run Flyway created to the app role, and grants the query role what QueryService does.
*/}}
{{- define "eo.postgresRolesScript" -}}
#!/bin/bash
set -eo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_user="$APP_DB_USER" -v app_password="$APP_DB_PASSWORD" \
  -v query_user="$QUERY_DB_USER" -v query_password="$QUERY_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', :'app_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('CREATE ROLE %I', :'query_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'query_user') \gexec
ALTER ROLE :"app_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
ALTER ROLE :"query_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'query_password';
-- the consumer's Flyway migrations create and change the schema: the app role owns it
ALTER SCHEMA public OWNER TO :"app_user";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO :"app_user", :"query_user";
GRANT USAGE ON SCHEMA public TO :"query_user";
-- a volume an older chart initialised: its tables and functions belong to the superuser
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'app_user')
  FROM pg_tables WHERE schemaname = 'public' AND tableowner <> :'app_user' \gexec
SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, :'app_user')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> :'app_user' \gexec
-- query reads; its Reset locks and empties tables (TRUNCATE), zeroes the totals (UPDATE) and opens
-- an audit window (INSERT), RecordBenchmark inserts. The tables exist only after the consumer's
-- first migration, so the grants are the app role's default privileges as well.
GRANT SELECT, INSERT, UPDATE, TRUNCATE ON ALL TABLES IN SCHEMA public TO :"query_user";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"query_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"app_user" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, TRUNCATE ON TABLES TO :"query_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"app_user" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"query_user";
SQL
{{- end -}}
