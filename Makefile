# One way to run each thing. Every target uses the project's virtual environment in .venv/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLL := build/ansible_collections/ocp/registry
APT_PACKAGES := docker-registry skopeo apache2-utils openssl podman chromium shellcheck
# ansible-test runs with a home of its own, so the offline get-pip stand-in it needs never lands in the user's home
TEST_HOME := $(CURDIR)/.ansible-test-home
GET_PIP := $(TEST_HOME)/.ansible/test/cache/get_pip_24_2.py $(TEST_HOME)/.ansible/test/cache/get_pip_25_2.py
ANSIBLE_TEST := HOME=$(TEST_HOME) PIP_CACHE_DIR=$(HOME)/.cache/pip $(CURDIR)/$(BIN)/ansible-test

.PHONY: help setup venv packages control-plane lab lab-stop collection sanity units lab-tests integration test demo docs bench clean

help:
	@echo "make setup      install system packages and the .venv (done by every target that needs it)"
	@echo "make test       the whole suite: sanity, unit, lab and integration tests against the lab"
	@echo "make demo       start the lab and run playbooks/site.yml against it"
	@echo "make lab        start the lab in the background (CLUSTERS=N for N clusters, CONTROL_PLANE=emulated for the"
	@echo "                API emulator instead of kube-apiserver); make lab-stop stops it"
	@echo "make docs       build the documentation site into build/docsite/build/html"
	@echo "make bench      the side-by-side benchmark against kubernetes.core, community.okd and containers.podman"
	@echo "make bench-fleet  a no-op drift check of 20 clusters against one (CLUSTERS=N to change)"

setup: packages venv control-plane

# the lab's real control plane (etcd, kube-apiserver, kube-controller-manager and OpenShift's CRDs) built from the
# Go module proxy at the versions pinned in tests/lab/controlplane/build/, once per machine (a cache keyed by them)
control-plane:
	@tests/lab/controlplane/build.sh >/dev/null

# kubectl: the demo and the lab's tests use it as an independent client (Debian's kubernetes-client when absent)
packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v kubectl >/dev/null 2>&1 || missing="$$missing kubernetes-client"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BIN)/activate: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(BIN)/activate

venv: $(BIN)/activate

# CLUSTERS=N starts N clusters (each its own API emulator and state, sharing the registries); default 1
# CONTROL_PLANE=emulated runs the lab's API emulator instead of the real control plane
lab: setup
	$(BIN)/python -m tests.lab.labctl start --clusters $(or $(CLUSTERS),1) --control-plane $(or $(CONTROL_PLANE),real)

lab-stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m tests.lab.labctl stop; else echo "lab: not running"; fi

# ansible-test wants the collection under ansible_collections/<namespace>/<name>: a real copy, not a link
collection:
	@rm -rf $(COLL) && mkdir -p $(COLL)
	@git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T - | tar -xf - -C $(COLL)
	@cd $(COLL) && git init -q && git add -A
	@mkdir -p $(TEST_HOME)/.ansible/test/cache && for f in $(GET_PIP); do cp tests/ci/get_pip.py $$f; done

sanity: venv collection
	cd $(COLL) && $(ANSIBLE_TEST) sanity --venv --python 3.11 --color no

units: venv collection
	cd $(COLL) && $(ANSIBLE_TEST) units --venv --python 3.11 --color no

lab-tests: venv
	$(BIN)/python -m pytest -q tests/lab/tests

integration: venv collection
	tests/integration/run.sh

test: setup
	@tests/run-all.sh

demo: setup collection
	tests/lab/demo.sh

docs: venv collection
	tests/docs/build.sh

# installs the field's collections (the ansible package, Python >= 3.12) into .venv-bench on first use
bench: setup collection
	tests/bench/run.sh $(BENCH_ARGS)

# a no-op drift check of CLUSTERS clusters (default 20) against one, with a lab of its own (.lab-fleet)
bench-fleet: setup collection
	$(BIN)/python tests/bench/fleet.py --clusters $(or $(CLUSTERS),20) $(BENCH_ARGS)

clean: lab-stop
	rm -rf build .ansible-test-home .ansible .venv .venv-newest .venv-bench .lab .lab-newest .lab-fleet .lab-emulated .lab-conf tests/output
