# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integrated registry's desired state: from module options to the operator config, with the operator's own
validation rules (the ones that need no request, and the ones checked against live objects before any write).
The read side (rollout, routes, hostnames) is in integrated.state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.integrated.state import NAMESPACE, storage_kind

CONFIG_NAME = "cluster"
USER_SECRET = "image-registry-private-configuration-user"
DEFAULT_CLAIM = "image-registry-storage"
MASK = "********"
LABELS = {"emptyDir": "EmptyDir", "s3": "S3", "swift": "Swift", "gcs": "GCS", "ibmcos": "IBMCOS", "pvc": "PVC",
          "azure": "Azure"}
# module option (snake_case) -> spec field, per backend
FIELDS = {
    "s3": [("bucket", "bucket"), ("region", "region"), ("region_endpoint", "regionEndpoint"), ("encrypt", "encrypt"),
           ("key_id", "keyID"), ("virtual_hosted_style", "virtualHostedStyle"), ("chunk_size_mib", "chunkSizeMiB")],
    "gcs": [("bucket", "bucket"), ("region", "region"), ("project_id", "projectID"), ("key_id", "keyID")],
    "azure": [("account_name", "accountName"), ("container", "container"), ("cloud_name", "cloudName")],
    "swift": [("auth_url", "authURL"), ("auth_version", "authVersion"), ("container", "container"),
              ("domain", "domain"), ("domain_id", "domainID"), ("region_name", "regionName"), ("tenant", "tenant"),
              ("tenant_id", "tenantID")],
    "ibmcos": [("bucket", "bucket"), ("location", "location"), ("resource_group_name", "resourceGroupName"),
               ("resource_key_crn", "resourceKeyCRN"), ("service_instance_crn", "serviceInstanceCRN")],
    "pvc": [("claim", "claim")],
}
# module option -> key of the user credentials Secret, per backend
SECRET_KEYS = {
    "s3": [("access_key", "REGISTRY_STORAGE_S3_ACCESSKEY"), ("secret_key", "REGISTRY_STORAGE_S3_SECRETKEY")],
    "gcs": [("key_file", "REGISTRY_STORAGE_GCS_KEYFILE")],
    "azure": [("account_key", "REGISTRY_STORAGE_AZURE_ACCOUNTKEY")],
    "swift": [("username", "REGISTRY_STORAGE_SWIFT_USERNAME"), ("password", "REGISTRY_STORAGE_SWIFT_PASSWORD"),
              ("application_credential_id", "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALID"),
              ("application_credential_name", "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALNAME"),
              ("application_credential_secret", "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALSECRET"),
              ("token_id", "REGISTRY_STORAGE_SWIFT_TOKENID")],
    "ibmcos": [("api_key", "REGISTRY_STORAGE_IBMCOS_IAMAPIKEY")],
}
REQUIRED_SECRET_KEYS = {"s3": ["REGISTRY_STORAGE_S3_ACCESSKEY", "REGISTRY_STORAGE_S3_SECRETKEY"],
                        "gcs": ["REGISTRY_STORAGE_GCS_KEYFILE"], "azure": ["REGISTRY_STORAGE_AZURE_ACCOUNTKEY"],
                        "ibmcos": ["REGISTRY_STORAGE_IBMCOS_IAMAPIKEY"]}
# top-level module option -> spec field
SPEC_FIELDS = [("management_state", "managementState"), ("replicas", "replicas"),
               ("rollout_strategy", "rolloutStrategy"), ("default_route", "defaultRoute"),
               ("disable_redirect", "disableRedirect"), ("log_level", "logLevel"),
               ("operator_log_level", "operatorLogLevel"), ("node_selector", "nodeSelector"),
               ("tolerations", "tolerations"), ("affinity", "affinity"), ("resources", "resources"),
               ("read_only", "readOnly")]
OPTION_BACKENDS = {"empty_dir": "emptyDir", "pvc": "pvc", "s3": "s3", "gcs": "gcs", "azure": "azure", "swift": "swift",
                   "ibmcos": "ibmcos"}
DNS_LABEL = names.DNS1123_LABEL
DNS_SUBDOMAIN = names.DNS1123_SUBDOMAIN
QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
# the Kubernetes quantity grammar, as the CRD's pattern has it (decimal SI, binary SI, or an exponent)
RESOURCE_QUANTITY = re.compile(r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
                               r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
BUCKET = re.compile(r"^[0-9a-z]+(-[0-9a-z]+)*$")
CRN_KEY = re.compile(r"^crn:.+:.+:.+:cloud-object-storage:.+:.+:.+:resource-key:.+$")
CRN_INSTANCE = re.compile(r"^crn:.+:.+:.+:cloud-object-storage:.+:.+:.+::$")


class ValidationError(OcpRegistryError, ValueError):
    """Bad input: the message names the option and the fix. Raised before any write request."""


def chosen_backend(storage):
    """The backend the storage option selects (spec name), or raise with the operator's own wording."""
    chosen = [OPTION_BACKENDS[key] for key in OPTION_BACKENDS if (storage or {}).get(key) is not None]
    if len(chosen) != 1:
        labels = " ".join(LABELS[b] for b in sorted(chosen, key=lambda b: list(LABELS).index(b)))
        raise ValidationError("storage: exactly one storage type should be configured at the same time, got %d: [%s]; "
                              "give one of %s" % (len(chosen), labels, ", ".join(OPTION_BACKENDS)))
    return chosen[0]


def validate_options(params):
    """Every rule that needs no request. Raises ValidationError naming the option."""
    errors = []
    replicas = params.get("replicas")
    if replicas is not None and replicas < 0:
        errors.append("replicas: replicas must be greater than or equal to 0 (got %d)" % replicas)
    storage = params.get("storage")
    backend = None
    if storage is not None:
        backend = chosen_backend(storage)
        errors.extend(_backend_errors(backend, storage[_option_name(backend)] or {}, params))
    routes = params.get("routes")
    if routes is not None:
        names = [r["name"] for r in routes]
        duplicates = sorted(set(n for n in names if names.count(n) > 1))
        if duplicates:
            errors.append("routes: duplication of names has been detected in the additional routes: %s"
                          % ", ".join(duplicates))
        if "default-route" in names:
            # the operator reserves the name whether or not defaultRoute is set (VerificationFailed otherwise)
            errors.append("routes: the name default-route is reserved by the image registry operator: default_route "
                          "creates default-route, and the operator refuses it in routes (VerificationFailed); set "
                          "default_route: true instead, or give this route another name")
        for route in routes:
            if not DNS_SUBDOMAIN.match(route["name"]) or len(route["name"]) > 63:
                errors.append("routes: name %r must be a lowercase DNS label" % route["name"])
            if route.get("hostname") is not None and not DNS_SUBDOMAIN.match(route["hostname"]):
                errors.append("routes: hostname %r of route %s is not a valid DNS name" % (route["hostname"], route["name"]))
            if route.get("secret_name") and not DNS_SUBDOMAIN.match(route["secret_name"]):
                errors.append("routes: secret_name %r of route %s is not a valid Secret name"
                              % (route["secret_name"], route["name"]))
    errors.extend(pod_option_errors(params))
    if errors:
        raise ValidationError("; ".join(errors))
    return backend


def pod_option_errors(params):
    """The rules shared by every operand pod the operator runs (the registry's, the pruner's): resources,
    node_selector, and the wait."""
    errors = []
    resources = params.get("resources")
    if resources is not None:
        if not isinstance(resources, dict) or set(resources) - set(["limits", "requests", "claims"]):
            errors.append("resources: give limits and/or requests (the Kubernetes ResourceRequirements)")
        else:
            for part in ("limits", "requests"):
                for name, value in (resources.get(part) or {}).items():
                    if not RESOURCE_QUANTITY.match(str(value)):
                        errors.append("resources.%s.%s: %r is not a quantity (such as 500m, 2, 512Mi, 1Gi)"
                                      % (part, name, value))
    for key, value in (params.get("node_selector") or {}).items():
        if not isinstance(value, str):
            errors.append("node_selector: the value of %s must be a string" % key)
    if params.get("wait") and params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
        errors.append("wait_timeout: must be greater than 0 seconds")
    return errors


def _option_name(backend):
    return "empty_dir" if backend == "emptyDir" else backend


def _backend_errors(backend, options, params):
    errors = []
    if backend == "emptyDir":
        if options:
            errors.append("storage.empty_dir: takes no options (give {})")
    elif backend == "pvc":
        # replicas and the rollout strategy against the claim's access modes: check_against_live, which sees
        # the live claim and the resulting spec (options alone cannot tell)
        if options.get("create"):
            if not options.get("claim"):
                errors.append("storage.pvc.create: needs storage.pvc.claim (leave claim out to let the operator "
                              "create %s)" % DEFAULT_CLAIM)
            if options.get("size") and not QUANTITY.match(options["size"]):
                errors.append("storage.pvc.size: %r is not a quantity such as 100Gi" % options["size"])
        elif any(options.get(k) is not None for k in ("size", "storage_class", "volume_mode")):
            errors.append("storage.pvc: size, storage_class and volume_mode describe a claim to create; add create: true")
        if options.get("claim") and not DNS_SUBDOMAIN.match(options["claim"]):
            errors.append("storage.pvc.claim: %r is not a valid claim name" % options["claim"])
    elif backend == "s3":
        size = options.get("chunk_size_mib")
        if size is not None and not 5 <= size <= 5120:
            errors.append("storage.s3.chunk_size_mib: must be between 5 and 5120 (got %d)" % size)
        if bool(options.get("access_key")) != bool(options.get("secret_key")):
            errors.append("storage.s3: access_key and secret_key go together; give both")
        trusted = options.get("trusted_ca")
        if trusted and not DNS_SUBDOMAIN.match(trusted):
            errors.append("storage.s3.trusted_ca: %r is not a valid ConfigMap name" % trusted)
        cloud_front = options.get("cloud_front")
        if cloud_front:
            missing = [k for k in ("base_url", "keypair_id", "private_key_secret", "private_key_key") if not cloud_front.get(k)]
            if missing:
                errors.append("storage.s3.cloud_front: needs %s" % ", ".join(missing))
    elif backend == "azure":
        container = options.get("container")
        if container and (not BUCKET.match(container) or not 3 <= len(container) <= 63):
            errors.append("storage.azure.container: %r must be 3 to 63 lowercase letters, digits and single hyphens"
                          % container)
        if options.get("account_key") == "":
            errors.append("storage.azure.account_key: must not be empty; the operator refuses an empty "
                          "REGISTRY_STORAGE_AZURE_ACCOUNTKEY")
        network = options.get("network_access") or {}
        if network.get("internal") and network.get("type") != "Internal":
            errors.append("storage.azure.network_access: internal is forbidden when type is not Internal")
    elif backend == "ibmcos":
        if options.get("resource_key_crn") and not CRN_KEY.match(options["resource_key_crn"]):
            errors.append("storage.ibmcos.resource_key_crn: %r is not a cloud-object-storage resource-key CRN"
                          % options["resource_key_crn"])
        if options.get("service_instance_crn") and not CRN_INSTANCE.match(options["service_instance_crn"]):
            errors.append("storage.ibmcos.service_instance_crn: %r is not a cloud-object-storage instance CRN"
                          % options["service_instance_crn"])
    elif backend == "gcs":
        key_file = options.get("key_file")
        if key_file is not None:
            try:
                if not isinstance(json.loads(key_file), dict):
                    raise ValueError
            except ValueError:
                errors.append("storage.gcs.key_file: must be the content of a service account JSON key file")
    elif backend == "swift":
        if bool(options.get("username")) != bool(options.get("password")):
            errors.append("storage.swift: username and password go together; give both")
    return errors


def _backend_block(backend, options, current):
    """The spec block for a backend: the live block (when the backend stays) with the given fields on top."""
    block = copy.deepcopy(current) if isinstance(current, dict) else {}
    for option, field in FIELDS.get(backend, []):
        if options.get(option) is not None:
            block[field] = options[option]
    if backend == "s3":
        if options.get("trusted_ca") is not None:
            block["trustedCA"] = {"name": options["trusted_ca"]}
        cloud_front = options.get("cloud_front")
        if cloud_front is not None:
            cf = {"baseURL": cloud_front["base_url"], "keypairID": cloud_front["keypair_id"],
                  "privateKey": {"name": cloud_front["private_key_secret"], "key": cloud_front["private_key_key"]}}
            if cloud_front.get("duration"):
                cf["duration"] = cloud_front["duration"]
            block["cloudFront"] = cf
    if backend == "azure" and options.get("network_access") is not None:
        network = options["network_access"]
        access = {"type": network.get("type") or "External"}
        internal = network.get("internal") or {}
        fields = [("network_resource_group_name", "networkResourceGroupName"),
                  ("private_endpoint_name", "privateEndpointName"), ("subnet_name", "subnetName"),
                  ("vnet_name", "vnetName")]
        if internal:
            access["internal"] = dict((f, internal[o]) for o, f in fields if internal.get(o))
        block["networkAccess"] = access
    return block


def _storage_management(backend, options, explicit):
    """What spec.storage.managementState should say after a switch, so the operator never treats a user's
    claim or bucket as its own (Managed storage is deleted when the registry is Removed)."""
    if explicit:
        return explicit
    if backend == "emptyDir":
        return "Managed"
    if backend == "pvc":
        return "Unmanaged" if options.get("claim") and options.get("claim") != DEFAULT_CLAIM else "Managed"
    named = {"azure": "container", "swift": "container"}.get(backend, "bucket")
    return "Unmanaged" if options.get(named) else "Managed"


def desired_spec(live_spec, params, backend):
    """(spec, notes): the live spec with every given option applied. Options left out keep their live values."""
    spec = copy.deepcopy(live_spec or {})
    notes = []
    for option, field in SPEC_FIELDS:
        if params.get(option) is not None:
            spec[field] = params[option]
    if params.get("routes") is not None:
        fields = (("name", "name"), ("hostname", "hostname"), ("secret_name", "secretName"))
        spec["routes"] = [dict((f, r[o]) for o, f in fields if r.get(o)) for r in params["routes"]]
        if not spec["routes"]:
            del spec["routes"]
    if params.get("proxy") is not None:
        proxy = dict(spec.get("proxy") or {})
        for option, field in (("http", "http"), ("https", "https"), ("no_proxy", "noProxy")):
            if params["proxy"].get(option) is not None:
                proxy[field] = params["proxy"][option]
        spec["proxy"] = proxy
    storage = spec.get("storage") or {}
    if backend is not None:
        options = params["storage"][_option_name(backend)] or {}
        live_backends = [b for b in LABELS if storage.get(b) is not None]
        current = storage.get(backend) if live_backends == [backend] else None
        new_storage = {backend: _backend_block(backend, options, current)}
        explicit = params.get("storage_management_state")
        if live_backends == [backend]:
            if explicit or storage.get("managementState"):
                new_storage["managementState"] = explicit or storage["managementState"]
        else:
            new_storage["managementState"] = _storage_management(backend, options, explicit)
            if live_backends:
                notes.append("storage switched from %s to %s: the %s block is removed"
                             % (", ".join(live_backends), backend, ", ".join(live_backends)))
        if "oss" in storage and backend != "oss":
            notes.append("the ignored oss block is removed")
        spec["storage"] = new_storage
    elif params.get("storage_management_state") is not None:
        storage = dict(storage)
        storage["managementState"] = params["storage_management_state"]
        spec["storage"] = storage
    return spec, notes


def check_against_live(spec, pvc, secret_keys, options, allow_empty_dir_replicas=False, claim_known=True):
    """Rules on the resulting config that need the live objects (the claim's access modes, the credentials
    Secret's keys). options are the chosen backend's module options, or {}. Raises ValidationError before any
    write. claim_known false: the claim was not read (the config does not change), so its rules are not checked."""
    errors = []
    replicas = spec.get("replicas", 1)
    storage = spec.get("storage") or {}
    backend = storage_kind(dict((k, v) for k, v in storage.items() if k != "managementState"))
    if backend == "pvc" and claim_known:
        claim = storage["pvc"].get("claim") or DEFAULT_CLAIM
        modes = ((pvc or {}).get("spec") or {}).get("accessModes") or (
            [options["access_mode"]] if options.get("access_mode") else [])
        if "ReadWriteMany" not in modes and "ReadWriteOnce" in modes:
            strategy = spec.get("rolloutStrategy") or "RollingUpdate"
            if replicas > 1:
                errors.append("storage.pvc: claim %s is ReadWriteOnce: cannot use ReadWriteOnce access mode with more "
                              "than one replica of the image registry (replicas is %d); use a ReadWriteMany claim or "
                              "replicas: 1" % (claim, replicas))
            elif strategy != "Recreate":
                errors.append("storage.pvc: claim %s is ReadWriteOnce: cannot use ReadWriteOnce access mode with %s "
                              "rollout strategy; set rollout_strategy: Recreate" % (claim, strategy))
        if pvc is None and claim != DEFAULT_CLAIM and not options.get("create"):
            errors.append("storage.pvc.claim: persistentvolumeclaims %r not found in %s; create it first or set "
                          "storage.pvc.create: true with a size" % (claim, NAMESPACE))
    if backend == "emptyDir" and replicas > 1 and not allow_empty_dir_replicas:
        errors.append("storage.empty_dir: the registry would run %d replicas on emptyDir storage, where each replica "
                      "keeps its own images and pushed images are lost; set replicas: 1 or "
                      "allow_empty_dir_replicas: true" % replicas)
    for key in REQUIRED_SECRET_KEYS.get(backend, []):
        if key not in secret_keys:
            option = [o for o, k in SECRET_KEYS[backend] if k == key][0]
            errors.append('storage.%s.%s: secret "%s/%s" does not contain required key "%s"; give %s'
                          % (backend, option, NAMESPACE, USER_SECRET, key, option))
    swift_logins = ("REGISTRY_STORAGE_SWIFT_USERNAME", "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALID",
                    "REGISTRY_STORAGE_SWIFT_TOKENID")
    if backend == "swift" and not any(k in secret_keys for k in swift_logins):
        errors.append("storage.swift: give username and password, application_credential_id (or _name) with "
                      "application_credential_secret, or token_id: the operator needs one of them")
    if errors:
        raise ValidationError("; ".join(errors))


def secret_changes(backend, options, current):
    """(new data, per-key change) for the credentials Secret; values are bytes, the report has key names only."""
    data = dict(current or {})
    report = {}
    for option, key in SECRET_KEYS.get(backend, []):
        value = options.get(option)
        if value is None:
            continue
        encoded = value.encode("utf-8")
        if key not in data:
            report[key] = "added"
        elif data[key] != encoded:
            report[key] = "changed"
        else:
            continue
        data[key] = encoded
    return data, report


def masked_spec(spec):
    out = copy.deepcopy(spec or {})
    if out.get("httpSecret"):
        out["httpSecret"] = MASK
    return out
