//go:build tools

// Package tools pins the Kubernetes node and control-plane binaries of the local cluster
// (kube-apiserver and kubectl come from tools/kube-apiserver, like the development services).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
