{{/* Names, labels and the shared pod/container security settings. */}}

{{- define "stargate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains "stargate" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-stargate" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "stargate.publicNamespace" -}}
{{- .Values.namespaces.public | default .Release.Namespace -}}
{{- end -}}

{{- define "stargate.privateNamespace" -}}
{{- .Values.namespaces.private | default .Release.Namespace -}}
{{- end -}}

{{/* Tenants and ProcessTypes live here; the operator runs here too. */}}
{{- define "stargate.watchNamespace" -}}
{{- .Values.operator.watchNamespace | default .Release.Namespace -}}
{{- end -}}

{{- define "stargate.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "stargate.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: stargate
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "stargate.labels" -}}
{{ include "stargate.commonLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* selectorLabels: dict "ctx" . "component" "gateway" */}}
{{- define "stargate.selectorLabels" -}}
app.kubernetes.io/name: stargate
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "stargate.componentLabels" -}}
{{ include "stargate.commonLabels" .ctx }}
{{ include "stargate.selectorLabels" . }}
{{- end -}}

{{- define "stargate.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser | default 10001 }}
runAsGroup: {{ .runAsUser | default 10001 }}
fsGroup: {{ .runAsUser | default 10001 }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "stargate.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{- define "stargate.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Secret names for connection URLs: an existing Secret, or the one the chart generates for built-in stores. */}}
{{- define "stargate.redisSecret" -}}
{{- if .Values.redis.builtin.enabled -}}{{ include "stargate.fullname" . }}-redis{{- else -}}{{ required "redis.existingSecret is required when redis.builtin.enabled=false" .Values.redis.existingSecret }}{{- end -}}
{{- end -}}

{{- define "stargate.rabbitmqSecret" -}}
{{- if .Values.rabbitmq.builtin.enabled -}}{{ include "stargate.fullname" . }}-rabbitmq{{- else -}}{{ required "rabbitmq.existingSecret is required when rabbitmq.builtin.enabled=false" .Values.rabbitmq.existingSecret }}{{- end -}}
{{- end -}}

{{/*
Reuse a generated password across upgrades: read it back from the live Secret when there is
one (lookup returns nothing under `helm template`, so a dry render gets a fresh random value).
Usage: include "stargate.password" (dict "ctx" . "namespace" ns "name" secretName "key" "password")
*/}}
{{- define "stargate.password" -}}
{{- $existing := lookup "v1" "Secret" .namespace .name -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else -}}
{{- include "stargate.requireCluster" (dict "ctx" .ctx "what" (printf "a password for Secret %s/%s" .namespace .name)) -}}
{{- randAlphaNum 32 -}}
{{- end -}}
{{- end -}}

{{- /*
A generated secret is kept across upgrades by reading it back from the cluster (lookup). Under
`helm template` / GitOps there is no cluster to read, so every render would draw new passwords
and a new signing key: refuse, unless the caller says the render is throwaway.
*/}}
{{- define "stargate.requireCluster" -}}
{{- if not (lookup "v1" "Namespace" "" "kube-system") -}}
{{- if not .ctx.Values.generatedSecrets.allowWithoutCluster -}}
{{- fail (printf "cannot generate %s without a cluster to keep it in (helm template / GitOps would draw a new one on every render): use helm install/upgrade or `helm template --dry-run=server`, point at existing Secrets (gateway.signingKeys.existingSecret, server.encryption.existingSecret, external stores with redis/rabbitmq existingSecret and server.connectionsSecret), or set generatedSecrets.allowWithoutCluster=true for a throwaway render" .what) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* The Secret with the handlers' encryption keys (STARGATE_ENCRYPTION_KEYS), in the private namespace. */}}
{{- define "stargate.encryptionKeysSecret" -}}
{{- .Values.server.encryption.existingSecret | default (printf "%s-encryption-keys" (include "stargate.fullname" .)) -}}
{{- end -}}
