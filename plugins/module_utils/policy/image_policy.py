# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster's image policy: images.config.openshift.io/cluster (registry sources, import allow-list, external
hostnames, import mode) and the additionalTrustedCA ConfigMap, changed per entry and never clobbered."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.core import certificates
from ansible_collections.ocp.registry.plugins.module_utils.policy import pools
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES, ClusterError, Resource
from ansible_collections.ocp.registry.plugins.module_utils.core.reconciler import Reconciler

CONFIG_NAMESPACE = "openshift-config"
DEFAULT_CA_CONFIG_MAP = "registry-cas"
CLUSTER_VERSION = Resource("config.openshift.io/v1", "clusterversions", "ClusterVersion", False)
# option name -> registrySources field; the CRD's names for the lists an administrator reads in `oc get`
SOURCE_LISTS = (("allowed", "allowedRegistries"), ("blocked", "blockedRegistries"),
                ("insecure", "insecureRegistries"), ("search", "containerRuntimeSearchRegistries"))
EXCLUSIVE_CHOICES = [name for name, _field in SOURCE_LISTS] + ["allowed_for_import", "external_hostnames", "trusted_cas"]
# the CRD's rule for registrySources entries: hostname[:port][/path] or *.domain, no tag or digest
SCOPE = names.SCOPE
HOSTNAME = names.HOSTNAME
HOST_PORT = names.HOST_PORT
WILDCARD_OR_HOST_PORT = names.WILDCARD_OR_HOST_PORT


class PolicyError(OcpRegistryError, ValueError):
    pass


# ------------------------------------------------------------------ pure rules

def scope_nested(sub, sup):
    """Whether scope `sub` lies inside scope `sup`, as the machine config operator decides it."""
    if sub == sup:
        return True
    if len(sub) > len(sup) and sub.startswith(sup) and sub[len(sup)] == "/":
        return True
    if sup.startswith("*."):
        host = sub.split("/", 1)[0].split(":", 1)[0]
        return host.endswith(sup[1:])
    return False


def _entry_error(option, value):
    if "@" in value or re.search(r"/[^/]*:", value):
        return "%s: %r carries a tag or digest; give a registry, namespace or repository (host[:port][/path])" % (
            option, value)
    if len(value) > 256 or not SCOPE.match(value):
        return "%s: %r is not host[:port][/path] or *.domain" % (option, value)
    return None


def validate_options(params):
    """Every error in the options, before anything is read or written: a list of messages."""
    errors = []
    sources = params.get("registry_sources") or {}
    for name, _field in SOURCE_LISTS:
        seen = set()
        for entry in sources.get(name) or []:
            option = "registry_sources.%s" % name
            value = entry["registry"]
            if name == "search":
                if not HOSTNAME.match(value):
                    errors.append("%s: %r must be a plain host name (no port, path or wildcard), as the nodes' "
                                  "unqualified-search-registries take it" % (option, value))
            else:
                problem = _entry_error(option, value)
                if problem:
                    errors.append(problem)
            if value in seen:
                errors.append("%s: %r is given twice" % (option, value))
            seen.add(value)
    present = dict((name, [e["registry"] for e in sources.get(name) or [] if e["state"] == "present"])
                   for name, _field in SOURCE_LISTS)
    if present["allowed"] and present["blocked"]:
        errors.append("registry_sources: allowed and blocked cannot both be set (the images.config rule: only one of "
                      "blockedRegistries or allowedRegistries); list what to allow, or what to block")
    for entry in params.get("allowed_for_import") or []:
        if not WILDCARD_OR_HOST_PORT.match(entry["registry"]):
            errors.append("allowed_for_import: %r is not host[:port] or *.domain" % entry["registry"])
    for entry in params.get("external_hostnames") or []:
        if not HOST_PORT.match(entry["name"]):
            errors.append("external_hostnames: %r is not host[:port]" % entry["name"])
    seen = set()
    for index, entry in enumerate(params.get("trusted_cas") or []):
        label = "trusted_cas[%d]" % index
        registry = entry.get("registry") or ""
        if not HOST_PORT.match(registry):
            errors.append("%s: registry %r must be host[:port] (no path, scheme or wildcard): the CA is trusted "
                          "for that host and port" % (label, registry))
        if registry in seen:
            errors.append("%s: registry %r is given twice" % (label, registry))
        seen.add(registry)
        if entry["state"] == "present" and not (entry.get("ca") or entry.get("ca_file")):
            errors.append("%s: give ca (PEM text) or ca_file for registry %s" % (label, registry))
    if params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
        errors.append("wait_timeout must be a positive number of seconds")
    return errors


def config_map_key(registry):
    """The additionalTrustedCA key for a registry: host, or host..port."""
    return registry.replace(":", "..")


def _merge_list(current, entries, exclusive, key="registry"):
    wanted = [e[key] for e in entries if e["state"] == "present"]
    unwanted = set(e[key] for e in entries if e["state"] == "absent")
    if exclusive:
        return list(wanted)
    out = [v for v in current if v not in unwanted]
    out.extend(v for v in wanted if v not in out)
    return out


def desired_spec(spec, params):
    """images.config spec after this run's entries; unknown fields and others' entries stay as they were."""
    spec = copy.deepcopy(spec or {})
    exclusive = set(params.get("exclusive") or [])
    given = params.get("registry_sources") or {}
    sources = spec.get("registrySources") or {}
    for name, field in SOURCE_LISTS:
        if given.get(name) is None and name not in exclusive:
            continue
        merged = _merge_list(sources.get(field) or [], given.get(name) or [], name in exclusive)
        if merged:
            sources[field] = merged
        else:
            sources.pop(field, None)  # an empty list still counts as set for the CRD's rule: leave it out
    if sources:
        spec["registrySources"] = sources
    else:
        spec.pop("registrySources", None)
    if params.get("allowed_for_import") is not None or "allowed_for_import" in exclusive:
        current = [] if "allowed_for_import" in exclusive else list(spec.get("allowedRegistriesForImport") or [])
        for entry in params.get("allowed_for_import") or []:
            current = [c for c in current if c.get("domainName") != entry["registry"]] if entry["state"] == "absent" \
                else current
            if entry["state"] == "present":
                item = {"domainName": entry["registry"], "insecure": bool(entry.get("insecure"))}
                found = [i for i, c in enumerate(current) if c.get("domainName") == entry["registry"]]
                if found:
                    current[found[0]] = item
                else:
                    current.append(item)
        if current:
            spec["allowedRegistriesForImport"] = current
        else:
            spec.pop("allowedRegistriesForImport", None)
    if params.get("external_hostnames") is not None or "external_hostnames" in exclusive:
        merged = _merge_list(spec.get("externalRegistryHostnames") or [], params.get("external_hostnames") or [],
                             "external_hostnames" in exclusive, key="name")
        if merged:
            spec["externalRegistryHostnames"] = merged
        else:
            spec.pop("externalRegistryHostnames", None)
    if params.get("import_mode"):
        spec["imageStreamImportMode"] = params["import_mode"]
    return spec


def both_lists_error(spec):
    sources = spec.get("registrySources") or {}
    if sources.get("allowedRegistries") and sources.get("blockedRegistries"):
        return ("registry_sources: the result would set both allowedRegistries (%s) and blockedRegistries (%s), which "
                "images.config refuses; remove one list's entries (state: absent) or make one list exclusive"
                % (", ".join(sources["allowedRegistries"]), ", ".join(sources["blockedRegistries"])))
    return None


def protection_problems(spec, protected):
    """What a registrySources spec does to registries the cluster cannot do without: {(what, scope): message}."""
    sources = spec.get("registrySources") or {}
    problems = {}
    for name, why in protected:
        for scope in sources.get("blockedRegistries") or []:
            if scope_nested(name, scope):
                problems[(name, scope)] = ("registry_sources.blocked: %s blocks %s, %s" % (scope, name, why))
        allowed = sources.get("allowedRegistries") or []
        if allowed and not any(scope_nested(name, scope) for scope in allowed):
            problems[(name, "allowed")] = ("registry_sources.allowed: %s is not in the allowed list (%s), %s"
                                           % (name, ", ".join(allowed), why))
    return problems


def payload_repository(image):
    """The repository of a release image reference (quay.io/org/repo@sha256:... -> quay.io/org/repo)."""
    name = (image or "").split("@", 1)[0]
    head, sep, last = name.rpartition("/")
    return head + sep + last.split(":", 1)[0] if head else name


def policy_view(spec):
    """The part of images.config this module manages, as the diff and the result show it."""
    sources = spec.get("registrySources") or {}
    return dict(registry_sources=dict((name, list(sources.get(field) or [])) for name, field in SOURCE_LISTS),
                allowed_for_import=[dict(domain_name=e.get("domainName"), insecure=bool(e.get("insecure")))
                                    for e in spec.get("allowedRegistriesForImport") or []],
                external_hostnames=list(spec.get("externalRegistryHostnames") or []),
                import_mode=spec.get("imageStreamImportMode") or "",
                trusted_ca_config_map=(spec.get("additionalTrustedCA") or {}).get("name"))


def ca_view(data):
    """{key: what the certificate under it is}: subject, expiry and fingerprint, never the PEM."""
    out = {}
    for key in sorted(data or {}):
        try:
            certs = certificates.read_bundle(data[key], key)
            out[key] = "; ".join("%s, expires %s, SHA-256 %s" % (c["subject"], c["not_after"], c["fingerprint_sha256"])
                                 for c in certs)
        except certificates.CertificateError:
            out[key] = "(%d bytes, not a PEM certificate)" % len(data[key] or "")
    return out


def report(client, image_config, warn):
    """What registry_info says of the policy: the managed fields, and each trusted CA with its expiry."""
    spec = (image_config or {}).get("spec") or {}
    out = policy_view(spec)
    out["trusted_cas"] = []
    name = out["trusted_ca_config_map"]
    if not name:
        return out
    try:
        config_map = client.get(RESOURCES["configmap"], name, CONFIG_NAMESPACE)
    except ClusterError as exc:
        if exc.status not in (403, 404):
            raise
        out["trusted_ca_error"] = str(exc)
        warn("the trusted CA ConfigMap %s/%s could not be read: %s" % (CONFIG_NAMESPACE, name, exc))
        return out
    for key, pem in sorted(((config_map or {}).get("data") or {}).items()):
        entry = dict(key=key, registry=key[::-1].replace("..", ":", 1)[::-1] if ".." in key else key)
        try:
            certs = certificates.read_bundle(pem, key)
            entry["certificates"] = [dict((k, c[k]) for k in ("subject", "not_after", "days_left",
                                                              "fingerprint_sha256")) for c in certs]
            if any(c["days_left"] < certificates.EXPIRY_WARNING_DAYS for c in certs):
                left = min(c["days_left"] for c in certs)
                warn("the CA trusted for %s expires in %d day(s)" % (entry["registry"], left))
        except certificates.CertificateError as exc:
            entry["error"] = str(exc)
        out["trusted_cas"].append(entry)
    return out


# ------------------------------------------------------------------ the run

class ImagePolicy(Reconciler):
    error = PolicyError
    subject = "images.config"

    def validate(self):
        errors = validate_options(self.params)
        if errors:
            raise PolicyError("; ".join(errors) + "; nothing was written")

    def prepare(self):
        self.cas = self._load_cas()
        self.ca_actions = {}
        self.first_before = None  # the policy as the first attempt read it, before any write
        self.pools_before = None  # the pools' rendered configs before the first write, when the run waits
        self.outcome_fields = {}

    def attempt(self):
        self._apply(self.cas)

    def outcome(self):
        return dict(self.outcome_fields, changed=self.outcome_fields["changed"] or bool(self.writes))

    def waits(self, result):
        return result["nodes_affected"] and bool(self.params.get("wait")) and not self.check_mode

    def wait(self, result):
        try:
            result["pools"] = pools.wait(self.client, self.pools_before or {}, self.params, self.warn, self.sleep)
        except pools.PoolError as exc:
            raise PolicyError(str(exc))

    def _load_cas(self):
        """The PEM of each trusted_cas entry, read and checked; the registry's chain verified when asked."""
        out = []
        for index, entry in enumerate(self.params.get("trusted_cas") or []):
            label = "trusted_cas[%d] (%s)" % (index, entry["registry"])
            if entry["state"] == "absent":
                out.append(dict(entry, pem=None, certs=[]))
                continue
            pem = entry.get("ca")
            if entry.get("ca_file"):
                try:
                    with open(entry["ca_file"]) as handle:
                        pem = handle.read()
                except (IOError, OSError) as exc:
                    raise PolicyError("%s: ca_file %s cannot be read (%s); nothing was written"
                                      % (label, entry["ca_file"], exc.strerror or exc))
            try:
                certs, warnings = certificates.check_ca_bundle(pem, label)
                if self.params.get("validate"):
                    certificates.verify_registry(entry["registry"], pem, label, proxy=self.params.get("proxy"),
                                                 no_proxy=self.params.get("no_proxy"))
            except certificates.CertificateError as exc:
                raise PolicyError("%s; nothing was written" % exc)
            for warning in warnings:
                self.warn(warning)
            out.append(dict(entry, pem=pem.strip() + "\n", certs=certs))
        return out

    def _apply(self, cas):
        trusted_cas = []
        config = self.client.get(RESOURCES["image_config"], "cluster")
        spec = config.get("spec") or {}
        new_spec = desired_spec(spec, self.params)
        problem = both_lists_error(new_spec)
        if problem:
            raise PolicyError(problem + "; nothing was written")
        self._guard(config, spec, new_spec)
        config_map, new_data, ca_name = None, None, None
        if cas or "trusted_cas" in (self.params.get("exclusive") or []):
            ca_name = (spec.get("additionalTrustedCA") or {}).get("name") or \
                self.params.get("trusted_ca_config_map") or DEFAULT_CA_CONFIG_MAP
            given = self.params.get("trusted_ca_config_map")
            if given and (spec.get("additionalTrustedCA") or {}).get("name") not in (None, given):
                self.warn("images.config already names the trusted CA ConfigMap %s; the CAs go there, not into %s"
                          % (ca_name, given))
            config_map = self.client.get(RESOURCES["configmap"], ca_name, CONFIG_NAMESPACE, missing_ok=True)
            data = dict((config_map or {}).get("data") or {})
            new_data = {} if "trusted_cas" in (self.params.get("exclusive") or []) else dict(data)
            for entry in cas:
                key = config_map_key(entry["registry"])
                if entry["state"] == "absent":
                    new_data.pop(key, None)
                else:
                    # an entry that is already there keeps its exact bytes when it holds the same certificates
                    # (compared as certificates: other line endings or whitespace are not a change)
                    same = key in data and certificates.same_certificates(data[key], entry["pem"])
                    new_data[key] = data[key] if same else entry["pem"]
                action = "unchanged" if data.get(key) == new_data.get(key) else (
                    "removed" if key not in new_data else ("added" if key not in data else "changed"))
                action = self.ca_actions.setdefault(key, action) if action == "unchanged" else action
                self.ca_actions[key] = action
                trusted_cas.append(dict(registry=entry["registry"], key=key, action=action,
                                        certificates=entry["certs"]))
            if new_data and not (spec.get("additionalTrustedCA") or {}).get("name"):
                new_spec["additionalTrustedCA"] = {"name": ca_name}
        if new_data is None:
            ca_changed = False
        elif config_map is None:
            ca_changed = bool(new_data)
        else:
            ca_changed = new_data != (config_map.get("data") or {})
        spec_changed = new_spec != spec
        before = policy_view(spec)
        after = policy_view(new_spec)
        if new_data is not None:
            before["trusted_cas"] = ca_view((config_map or {}).get("data") or {})
            after["trusted_cas"] = ca_view(new_data)
        before = self.first_before = self.first_before or before  # as read before any write
        sources_changed = self._sources_changed(spec, new_spec)
        if self.pools_before is None and sources_changed and self.params.get("wait") and not self.check_mode:
            self.pools_before = pools.configs(self.client)
        if ca_changed:
            self._write_config_map(config_map, ca_name, new_data)
        stored = config
        if spec_changed:
            body = copy.deepcopy(config)
            body["spec"] = new_spec
            stored = self.replace(RESOURCES["image_config"], body)
            after = policy_view(stored.get("spec") or {})  # what the server stores (its own dry run in check mode)
            if new_data is not None:
                after["trusted_cas"] = ca_view(new_data)
        created = bool(ca_changed and config_map is None) or any(
            w["action"] == "created" for w in self.wrote("ConfigMap"))
        self.outcome_fields = dict(
            changed=bool(ca_changed or spec_changed), diff=dict(before=before, after=after), policy=after,
            nodes_affected=sources_changed,
            trusted_cas=trusted_cas, trusted_ca_config_map=ca_name or (spec.get("additionalTrustedCA") or {}).get("name"),
            created_config_map=created)

    @staticmethod
    def _sources_changed(spec, new_spec):
        """Only registrySources reach the nodes (the machine config operator renders them)."""
        return (spec.get("registrySources") or {}) != (new_spec.get("registrySources") or {})

    def _write_config_map(self, config_map, name, data):
        if config_map is None:
            self.create(RESOURCES["configmap"], {"apiVersion": "v1", "kind": "ConfigMap",
                                                 "metadata": {"name": name, "namespace": CONFIG_NAMESPACE}, "data": data},
                        CONFIG_NAMESPACE)
        else:
            body = copy.deepcopy(config_map)
            body["data"] = data
            self.replace(RESOURCES["configmap"], body, CONFIG_NAMESPACE)

    def _guard(self, config, spec, new_spec):
        """Refuse to cut the cluster off its release payload or its own registry, unless force says so."""
        new_sources = new_spec.get("registrySources") or {}
        # nothing to guard when the lists stay as they are: a run with nothing to do reads no ClusterVersion
        if self.params.get("force") or not self._sources_changed(spec, new_spec) or \
                not (new_sources.get("blockedRegistries") or new_sources.get("allowedRegistries")):
            return
        protected = []
        try:
            version = self.client.get(CLUSTER_VERSION, "version")
            payload = payload_repository(((version.get("status") or {}).get("desired") or {}).get("image"))
            if payload:
                protected.append((payload, "the repository of the cluster's release payload (ClusterVersion): "
                                           "nodes could no longer pull the images OpenShift itself runs on"))
        except ClusterError as exc:
            raise PolicyError("cannot read ClusterVersion version to make sure the release payload stays allowed "
                              "(%s); give force: true to skip this check; nothing was written" % exc)
        status = config.get("status") or {}
        for host in [status.get("internalRegistryHostname")] + list(status.get("externalRegistryHostnames") or []):
            if host:
                protected.append((host, "a host name of the integrated registry: pods and builds could no longer pull "
                                        "the images pushed to the cluster's own registry"))
        new = protection_problems(new_spec, protected)
        old = protection_problems(spec, protected)
        added = [message for key, message in sorted(new.items()) if key not in old]
        if added:
            raise PolicyError("; ".join(added) + ". Nothing was written; give force: true to write it anyway")
