{{/*
The built-in stores share their shape: a headless Service and a one-replica StatefulSet running
the upstream image as its non-root user (uid 999) with a read-only root filesystem.
Usage: include "stargate.store" (dict "ctx" . "name" "redis" "namespace" ns "values" .Values.redis.builtin
         "port" 6379 "container" (dict ...container fields...) "dataPath" "/data" "extraVolumes" list
         "sidecars" list-of-containers (hardened like the store's; they run the StarGate image, so
         the pod gets the chart's imagePullSecrets))
*/}}
{{- define "stargate.store" -}}
{{- $ctx := .ctx }}
{{- $name := printf "%s-%s" (include "stargate.fullname" $ctx) .name }}
{{- $v := .values }}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ .namespace }}
  labels:
    {{- include "stargate.componentLabels" (dict "ctx" $ctx "component" .name) | nindent 4 }}
spec:
  clusterIP: None
  selector:
    {{- include "stargate.selectorLabels" (dict "ctx" $ctx "component" .name) | nindent 4 }}
  ports:
    {{- range .ports }}
    - { name: {{ .name }}, port: {{ .port }}, targetPort: {{ .port }}, protocol: TCP }
    {{- end }}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  namespace: {{ .namespace }}
  labels:
    {{- include "stargate.componentLabels" (dict "ctx" $ctx "component" .name) | nindent 4 }}
spec:
  serviceName: {{ $name }}
  replicas: 1
  selector:
    matchLabels:
      {{- include "stargate.selectorLabels" (dict "ctx" $ctx "component" .name) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "stargate.componentLabels" (dict "ctx" $ctx "component" .name) | nindent 8 }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "stargate.podSecurityContext" (dict "runAsUser" 999) | nindent 8 }}
      {{- if .sidecars }}
      {{- include "stargate.imagePullSecrets" $ctx | nindent 6 }}
      {{- end }}
      {{- with .initContainers }}
      initContainers:
        {{- range . }}
        - {{ toYaml (merge (dict "imagePullPolicy" "IfNotPresent" "securityContext" (include "stargate.containerSecurityContext" $ctx | fromYaml)) .) | nindent 10 | trim }}
        {{- end }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ $v.image }}
          imagePullPolicy: {{ $v.pullPolicy | default "IfNotPresent" }}
          {{- toYaml .container | nindent 10 }}
          ports:
            {{- range .ports }}
            - { name: {{ .name }}, containerPort: {{ .port }}, protocol: TCP }
            {{- end }}
          readinessProbe:
            tcpSocket: { port: {{ (first .ports).name }} }
            periodSeconds: 5
          livenessProbe:
            tcpSocket: { port: {{ (first .ports).name }} }
            initialDelaySeconds: 30
            periodSeconds: 20
          securityContext:
            {{- include "stargate.containerSecurityContext" $ctx | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          volumeMounts:
            - { name: data, mountPath: {{ .dataPath }} }
            - { name: tmp, mountPath: /tmp }
            {{- range .extraMounts }}
            - {{ toYaml . | nindent 14 | trim }}
            {{- end }}
        {{- range .sidecars }}
        - {{ toYaml (merge (dict "securityContext" (include "stargate.containerSecurityContext" $ctx | fromYaml)) .) | nindent 10 | trim }}
        {{- end }}
      volumes:
        - name: tmp
          emptyDir: { sizeLimit: 64Mi }
        {{- if not $v.persistence.enabled }}
        - name: data
          emptyDir: {}
        {{- end }}
        {{- range .extraVolumes }}
        - {{ toYaml . | nindent 10 | trim }}
        {{- end }}
  {{- if $v.persistence.enabled }}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        {{- with $v.persistence.storageClass }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ $v.persistence.size }}
  {{- end }}
{{- end -}}
