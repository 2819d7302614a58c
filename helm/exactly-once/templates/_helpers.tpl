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

{{/*
The brokers the services bootstrap from: every bundled broker by its pod's DNS name (so a client
still finds the cluster while one broker is down), or kafka.bootstrapServers with kafka.enabled=false.
*/}}
{{- define "eo.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled -}}
{{- $brokers := list -}}
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

{{- define "eo.jdbcUrl" -}}
jdbc:postgresql://{{ include "eo.postgresHost" . }}:{{ .Values.postgres.port }}/{{ .Values.postgres.database }}
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
{{- randAlphaNum 24 | b64enc -}}
{{- end -}}
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

{{- define "eo.databaseEnv" -}}
- name: JDBC_URL
  value: {{ include "eo.jdbcUrl" . | quote }}
{{- if .Values.postgres.existingSecret }}
- name: JDBC_USER
  valueFrom:
    secretKeyRef:
      name: {{ .Values.postgres.existingSecret }}
      key: {{ .Values.postgres.userKey | quote }}
{{- else }}
- name: JDBC_USER
  value: {{ .Values.postgres.user | quote }}
{{- end }}
- name: JDBC_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "eo.postgresSecretName" . }}
      key: {{ include "eo.postgresPasswordKey" . | quote }}
{{- end -}}

{{/*
The pod spec of a service (producer, consumer, billing, query).
Call with (dict "root" $ "component" "consumer" "service" .Values.consumer "env" "<extra env YAML>").
Probes: grpc.health.v1.Health answers service "liveness" SERVING while the process runs, and
service "" SERVING only while Kafka and PostgreSQL are reachable. So a pod that waits for its
dependencies is not ready (no traffic) but is not restarted either: no init containers and no
crash loops while Kafka starts.
*/}}
{{- define "eo.servicePodSpec" -}}
{{- $root := .root -}}
{{- $svc := .service -}}
enableServiceLinks: false
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
        value: {{ $svc.javaToolOptions | quote }}
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
{{- end -}}

{{/*
Services of a component: a NodePort Service for gRPC (published by kind-config.yaml) and a
headless one that lists every pod, ready or not, for Prometheus' DNS discovery and the StatefulSet.
Call with (dict "root" $ "component" "consumer" "service" .Values.consumer).
*/}}
{{- define "eo.serviceServices" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "eo.fullname" .root }}-{{ .component }}
  labels:
    {{- include "eo.labels" . | nindent 4 }}
spec:
  type: NodePort
  selector:
    {{- include "eo.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .service.grpcPort }}
      targetPort: grpc
      nodePort: {{ .service.nodePort }}
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
