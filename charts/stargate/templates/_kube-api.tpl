{{- /*
The CIDRs the operator and the gateway may reach the Kubernetes API server at, as a JSON list:
networkPolicy.kubeApiServer.cidrs when given, else the addresses the API server publishes in the
`kubernetes` EndpointSlice (or Endpoints) of namespace default, read at install/upgrade (/32 or
/128 each). An empty list means they could not be read (helm template, GitOps, an API server
that publishes none): the policy then leaves the ports open to any address and NOTES warns.
*/}}
{{- define "stargate.kubeApiCidrs" -}}
{{- $cidrs := list }}
{{- with .Values.networkPolicy.kubeApiServer.cidrs }}
{{- $cidrs = . }}
{{- else }}
{{- $ips := list }}
{{- $slice := lookup "discovery.k8s.io/v1" "EndpointSlice" "default" "kubernetes" }}
{{- range ($slice.endpoints | default list) }}{{ range (.addresses | default list) }}{{ $ips = append $ips . }}{{ end }}{{ end }}
{{- if not $ips }}
{{- $endpoints := lookup "v1" "Endpoints" "default" "kubernetes" }}
{{- range ($endpoints.subsets | default list) }}{{ range (.addresses | default list) }}{{ $ips = append $ips .ip }}{{ end }}{{ end }}
{{- end }}
{{- range (uniq $ips) }}{{ $cidrs = append $cidrs (printf "%s/%s" . (ternary "128" "32" (contains ":" .))) }}{{ end }}
{{- end }}
{{- toJson $cidrs }}
{{- end }}
