# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Applying the integrated registry's desired state through the image registry operator's config, and
waiting for the operator to roll it out. The rules and the desired state are pure functions in
integrated.spec, the read-side facts in integrated.state; this module reads, writes and waits."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible_collections.ocp.registry.plugins.module_utils.integrated import spec as rules
from ansible_collections.ocp.registry.plugins.module_utils.integrated import state as regstate
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES
from ansible_collections.ocp.registry.plugins.module_utils.core.reconciler import Reconciler

ROUTE_SECRET_KEYS = ("tls.crt", "tls.key", "tls.cacrt")
PROGRESSING_ERROR_GRACE = 10.0


class WaitFailed(OcpRegistryError):
    def __init__(self, message, progress, config=None):
        super(WaitFailed, self).__init__(message)
        self.message = message
        self.progress = progress
        self.config = config
        self.result = None


def _decode(data):
    out = {}
    for key, value in (data or {}).items():
        out[key] = base64.b64decode(value)
    return out


def _encode(data):
    return dict((k, base64.b64encode(v).decode("ascii")) for k, v in data.items())


class Configurator(Reconciler):
    subject = "the image registry operator's config"

    def validate(self):
        self.backend = rules.validate_options(self.params)
        self.options = dict(self.params["storage"][rules._option_name(self.backend)] or {}) if self.backend else {}

    def prepare(self):
        # what an attempt wrote before a conflict sent it round again: the next attempt finds it in place (the
        # claim exists, the Secret holds the new keys) and must still report it
        self.reported = {}
        self.pvc_created = False
        self.fields = {}

    def attempt(self):
        params, backend, options = self.params, self.backend, self.options
        live = self.client.get(RESOURCES["registry_config"], rules.CONFIG_NAME)
        spec, notes = rules.desired_spec(live.get("spec"), params, backend)
        self.notes = notes
        # a config that stays as it is needs no claim checked against it: the claim is read only for a change
        # or for create
        read_claim = spec != (live.get("spec") or {}) or bool(options.get("create"))
        pvc, secret, secret_data = self._read_dependencies(spec, backend, read_claim)
        new_data, report = rules.secret_changes(backend, options, secret_data)
        rules.check_against_live(spec, pvc, set(new_data), options, params.get("allow_empty_dir_replicas"),
                                 claim_known=read_claim)
        self._check_route_secrets(spec)
        self.live, self.spec = live, spec
        before = dict(config=rules.masked_spec(live.get("spec")),
                      storage_credentials=dict((k, rules.MASK) for k in sorted(secret_data) if k.startswith("REGISTRY_")))
        after = dict(config=rules.masked_spec(spec), storage_credentials=dict(before["storage_credentials"]))
        if report:
            self._write_secret(secret, new_data)
            if not self.check_mode:
                self.reported.update(report)
        create_pvc = backend == "pvc" and options.get("create") and pvc is None
        if create_pvc:
            self._create_pvc(options)
            self.pvc_created = not self.check_mode
        config_changed = spec != (live.get("spec") or {})
        written = live
        if config_changed:
            body = dict(live, spec=spec)
            body.pop("status", None)
            # check mode asks the server for a dry run: the prediction has the server's defaults in it
            written = self.replace(RESOURCES["registry_config"], body)
            after["config"] = rules.masked_spec(written.get("spec"))
        report = dict(self.reported, **report)
        for key, change in report.items():
            after["storage_credentials"][key] = "%s (%s)" % (rules.MASK, change)
        create_pvc = bool(create_pvc) or self.pvc_created
        self.written = written
        self.fields = dict(changed=bool(report or create_pvc or config_changed), storage_credentials=report,
                           pvc_created=create_pvc, diff=dict(before=before, after=after),
                           config=rules.masked_spec(written.get("spec")))

    def outcome(self):
        result = dict(self.fields, notes=self.notes)
        if not self.waits(result):
            if self.params.get("wait"):
                result["wait"] = dict(waited=False, elapsed=0, progress=[],
                                      skipped="check mode predicts the change; nothing was written to wait for")
            result.update(self.facts(self._read_state(config=self.live if self.check_mode else self.written)))
        result["config"] = result.get("config") or rules.masked_spec(self.spec)
        return result

    def waits(self, result):
        # with nothing to change the run still waits for a rollout in progress; check mode waits for nothing it
        # would write
        return bool(self.params.get("wait")) and not (self.check_mode and result["changed"])

    def wait(self, result):
        try:
            # nothing written: the config just read is the first poll's answer
            state, progress, elapsed = self.wait_rollout(
                self.params.get("wait_timeout") or 600, self.params.get("wait_sleep") or 1.0,
                first_config=None if result["changed"] else self.live)
        except WaitFailed as exc:
            exc.result = result
            raise
        result["wait"] = dict(waited=True, elapsed=round(elapsed, 1), progress=progress)
        result.update(self.facts(state))

    def _read_dependencies(self, spec, backend, read_claim=True):
        storage = spec.get("storage") or {}
        kind = regstate.storage_kind(dict((k, v) for k, v in storage.items() if k != "managementState"))
        pvc = None
        if kind == "pvc" and read_claim:
            claim = storage["pvc"].get("claim") or rules.DEFAULT_CLAIM
            pvc = self.client.get(RESOURCES["pvc"], claim, regstate.NAMESPACE, missing_ok=True)
        secret = None
        data = {}
        if kind in rules.SECRET_KEYS or backend in rules.SECRET_KEYS:
            secret = self.client.get(RESOURCES["secret"], rules.USER_SECRET, regstate.NAMESPACE, missing_ok=True)
            data = _decode((secret or {}).get("data"))
        return pvc, secret, data

    def _check_route_secrets(self, spec):
        for route in spec.get("routes") or []:
            name = route.get("secretName")
            if not name:
                continue
            secret = self.client.get(RESOURCES["secret"], name, regstate.NAMESPACE, missing_ok=True)
            if secret is None:
                raise rules.ValidationError(
                    "routes: secret_name %s of route %s does not exist in %s; create a Secret with keys tls.crt, "
                    "tls.key and tls.cacrt" % (name, route["name"], regstate.NAMESPACE))
            missing = [k for k in ROUTE_SECRET_KEYS if k not in (secret.get("data") or {})]
            if missing:
                raise rules.ValidationError(
                    "routes: secret %s/%s of route %s lacks %s (the operator needs tls.crt, tls.key and tls.cacrt)"
                    % (regstate.NAMESPACE, name, route["name"], ", ".join(missing)))

    def _write_secret(self, secret, data):
        if secret is None:
            self.create(RESOURCES["secret"], {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                              "data": _encode(data),
                                              "metadata": {"name": rules.USER_SECRET, "namespace": regstate.NAMESPACE}},
                        regstate.NAMESPACE)
        else:
            self.replace(RESOURCES["secret"], dict(secret, data=_encode(data)), regstate.NAMESPACE)

    def _create_pvc(self, options):
        spec = {"accessModes": [options.get("access_mode") or "ReadWriteMany"],
                "resources": {"requests": {"storage": options.get("size") or "100Gi"}}}
        if options.get("storage_class"):
            spec["storageClassName"] = options["storage_class"]
        if options.get("volume_mode"):
            spec["volumeMode"] = options["volume_mode"]
        self.create(RESOURCES["pvc"], {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": spec,
                                       "metadata": {"name": options["claim"], "namespace": regstate.NAMESPACE}},
                    regstate.NAMESPACE)

    def _read_state(self, config=None):
        """The config (read again unless given), the registry's routes and images.config."""
        if config is None:
            config = self.client.get(RESOURCES["registry_config"], rules.CONFIG_NAME)
        routes = regstate.owned_routes(self.client.list(RESOURCES["route"], regstate.NAMESPACE).get("items") or [])
        image_config = self.client.get(RESOURCES["image_config"], "cluster", missing_ok=True)
        return config, routes, image_config

    @staticmethod
    def facts(state):
        config, routes, image_config = state
        summary = regstate.summary(config, routes, image_config)
        return dict(conditions=summary["conditions"], rolled_out=summary["rolled_out"],
                    rolled_out_reason=summary["rolled_out_reason"], hostnames=regstate.hostnames(image_config, routes),
                    registry=summary)

    def wait_rollout(self, timeout, interval, first_config=None):
        """Poll until the operator reports a finished rollout; fail on a condition waiting cannot clear."""
        started = self.clock()
        progress = []
        error_since = None
        while True:
            state = self._read_state(config=first_config)
            first_config = None
            config = state[0]
            done, reason = regstate.rollout_state(*state)
            elapsed = self.clock() - started
            if not progress or progress[-1]["state"] != reason:
                progress.append(dict(elapsed=round(elapsed, 1), state=reason))
            if done:
                return state, progress, elapsed
            failure = regstate.failure_reason(config)
            progressing = regstate.conditions_by_type(config.get("status")).get("Progressing") or {}
            if failure is None and progressing.get("reason") == "Error" and \
                    (config.get("status") or {}).get("observedGeneration") == config["metadata"].get("generation"):
                error_since = error_since if error_since is not None else elapsed
                if elapsed - error_since >= PROGRESSING_ERROR_GRACE:
                    failure = "Progressing Error: %s" % progressing.get("message")
            else:
                error_since = None
            if failure:
                raise WaitFailed("the registry cannot roll out: %s" % failure, progress, config)
            if elapsed >= timeout:
                raise WaitFailed("the registry did not roll out within %ss: %s" % (timeout, reason), progress, config)
            self.sleep(interval)
