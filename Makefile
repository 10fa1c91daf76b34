# StarGate — the human entry points. Every target installs what it needs by itself.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node >= 22 first on PATH (tools/node.sh installs Node 24 LTS when the machine's is older).
NODE_BIN := $(shell tools/node.sh)
export PATH := $(NODE_BIN):$(PATH)
# Connection settings of the development services, for tests and `make dev`.
$(foreach v,$(shell tools/services.sh env | sed 's/^export //'),$(eval export $(v)))

.PHONY: help setup deps services services-down services-reset build lint format format-check typecheck \
        test unit e2e dev dev-files bench fuzz charts charts-sync e2e-kind clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# `npm ci`: installs exactly what package-lock.json records and fails when package.json and
# the lock disagree, so the lock cannot drift (e2e/src/cluster/lock-file.test.ts checks that it
# holds every platform's optional binaries). After changing dependencies: see docs/development.md.
node_modules/.stamp: package.json package-lock.json */package.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.stamp ## install npm dependencies

setup: deps services ## install everything and start the development services

services: ## start Redis, RabbitMQ, mongo-java-server (MongoDB wire), etcd + kube-apiserver (installing/building them if missing)
	tools/services.sh up

services-down: ## stop the development services
	tools/services.sh down

services-reset: ## stop the services and delete their data
	tools/services.sh reset

build: deps ## compile all packages (tsc -b)
	npx tsc -b

typecheck: build ## type-check all packages

lint: deps ## lint (Biome)
	npx biome lint .

format: deps ## format the tree (Biome)
	npx biome format --write .

format-check: deps ## check formatting (Biome)
	npx biome format .

test: deps services ## lint, format check, typecheck and every test, against the real services
	npx biome check .
	npx tsc -b
	node tools/run-tests.mjs

unit: deps ## every test that needs no service (tools/unit-tests.mjs picks them), ~11 s
	node tools/unit-tests.mjs

e2e: deps services build ## only the whole-system suite (processes, faults, hostile input)
	STARGATE_E2E_RABBIT_UNDER_LOAD=1 STARGATE_E2E_RABBIT_CLUSTER=1 npx vitest run e2e/src/system e2e/src/hostile e2e/src/dev e2e/src/contract testkit/src/rabbit-cluster.integration.test.ts

dev: deps build ## run StarGate on this machine: API server, operator, gateway, workers, demo, live onboarding
	node e2e/dist/dev/main.js

bench: deps services build ## benchmarks (wrk): print numbers, write bench/results.json
	@command -v wrk >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null \
	  || { $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	       $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }; }
	node e2e/dist/bench/run.js
	node e2e/dist/bench/private-side.js

fuzz: deps services build ## a longer property-based fuzz run against the gateway
	STARGATE_FUZZ_RUNS=2000 npx vitest run e2e/src/hostile

charts: deps services ## chart tests: helm lint/template, server-side dry run, RBAC
	npx vitest run e2e/src/charts

charts-sync: ## copy crds/ into the chart after a CRD change (a test fails until they match)
	charts/sync-crds.sh

e2e-kind: ## whole stack on a kind cluster (needs Docker; see e2e/kind/README.md)
	e2e/kind/run.sh

clean: ## remove build output
	rm -rf */dist client-sdk/build node_modules/.stamp

dev-files: deps build ## run StarGate without Kubernetes, from configuration rendered from examples/
	tools/services.sh up redis rabbitmq mongo
	node e2e/dist/dev/main.js files

# ---- Images and a local Kubernetes cluster without Docker or a registry (docs/deployment.md).
.PHONY: image cluster cluster-down cluster-reset cluster-images e2e-cluster

image: ## build the project image (podman, local FROM-scratch base; no pull) and load it into the local cluster
	tools/images/stargate.sh

cluster: ## start a one-node Kubernetes cluster on this machine (builds its pieces once; idempotent)
	tools/cluster/cluster.sh up

cluster-down: ## stop the local cluster (keeps its data under .data/cluster)
	tools/cluster/cluster.sh down

cluster-reset: ## stop the local cluster and delete its data
	tools/cluster/cluster.sh reset

cluster-images: ## build the stand-ins for the chart's built-in stores and load them into the local cluster
	tools/images/stores.sh

e2e-cluster: deps ## helm install StarGate on the local cluster, run the system suites through it, uninstall
	tools/cluster/e2e.sh
