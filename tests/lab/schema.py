"""Structural schemas of the OpenShift config resources the lab serves, and their validation.

Written for the lab from the CRD field facts (types, enums, patterns, required fields, limits, defaults,
the one CEL rule on registrySources). Deep Kubernetes types (affinity, topologySpreadConstraints) are
accepted as free-form objects; everything else is checked like the API server checks a CRD.
"""

from __future__ import annotations

import re

HOST_PATH = (r"^\*(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+$|^((?:[a-zA-Z0-9]|[a-zA-Z0-9]"
             r"[a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?)"
             r"(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$")
MIRROR = "^" + HOST_PATH.split("$|^", 1)[1]  # the second alternative: no *.domain wildcard
QUANTITY = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
LOG_LEVELS = ["", "Normal", "Debug", "Trace", "TraceAll"]
BUCKET = r"^[0-9a-z]+(-[0-9a-z]+)*$"


def obj(props=None, required=(), free=False, values=None, default=None, cel=None):
    return {"type": "object", "props": props or {}, "required": list(required), "free": free,
            "values": values, "default": default, "cel": cel}


def string(enum=None, pattern=None, min_len=None, max_len=None, default=None):
    return {"type": "string", "enum": enum, "pattern": pattern, "min_len": min_len, "max_len": max_len,
            "default": default}


def integer(minimum=None, maximum=None):
    return {"type": "integer", "min": minimum, "max": maximum}


def boolean():
    return {"type": "boolean"}


def array(items, max_items=None, min_items=None):
    return {"type": "array", "items": items, "max_items": max_items, "min_items": min_items}


def quantity():
    return {"type": "quantity"}


FREE = obj(free=True)
STRMAP = obj(values=string())
TOLERATION = obj({"effect": string(), "key": string(), "operator": string(), "tolerationSeconds": integer(),
                  "value": string()})
RESOURCES = obj({"claims": array(obj({"name": string(), "request": string()}, required=["name"])),
                 "limits": obj(values=quantity()), "requests": obj(values=quantity())})
AZURE = obj({
    "accountName": string(), "cloudName": string(),
    "container": string(pattern=BUCKET, min_len=3, max_len=63),
    "networkAccess": obj({
        "internal": obj({
            "networkResourceGroupName": string(pattern=r"^[0-9A-Za-z_.-](?:[0-9A-Za-z_.-]*[0-9A-Za-z_-])?$",
                                               min_len=1, max_len=90),
            "privateEndpointName": string(pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]*[0-9A-Za-z_]$", min_len=2, max_len=64),
            "subnetName": string(pattern=r"^[0-9A-Za-z](?:[0-9A-Za-z_.-]*[0-9A-Za-z_])?$", min_len=1, max_len=80),
            "vnetName": string(pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]*[0-9A-Za-z_]$", min_len=2, max_len=64)}),
        "type": string(enum=["Internal", "External"], default="External")},
        default={"type": "External"},
        cel=(lambda v: v.get("type") == "Internal" or "internal" not in v, "internal is forbidden when type is not Internal")),
})
STORAGE = obj({
    "azure": AZURE,
    "emptyDir": obj(),
    "gcs": obj({"bucket": string(), "keyID": string(), "projectID": string(), "region": string()}),
    "ibmcos": obj({"bucket": string(), "location": string(), "resourceGroupName": string(),
                   "resourceKeyCRN": string(pattern=r"^crn:.+:.+:.+:cloud-object-storage:.+:.+:.+:resource-key:.+$"),
                   "serviceInstanceCRN": string(pattern=r"^crn:.+:.+:.+:cloud-object-storage:.+:.+:.+::$")}),
    "managementState": string(pattern=r"^(Managed|Unmanaged)$"),
    "oss": obj({"bucket": string(pattern=BUCKET, min_len=3, max_len=63),
                "encryption": obj({"kms": obj({"keyID": string(min_len=1)}, required=["keyID"]),
                                   "method": string(enum=["KMS", "AES256"], default="AES256")}),
                "endpointAccessibility": string(enum=["Internal", "Public", ""], default="Internal"),
                "region": string()}),
    "pvc": obj({"claim": string()}),
    "s3": obj({
        "bucket": string(), "chunkSizeMiB": integer(5, 5120),
        "cloudFront": obj({"baseURL": string(), "duration": string(), "keypairID": string(),
                           "privateKey": obj({"key": string(), "name": string(default=""), "optional": boolean()},
                                             required=["key"])},
                          required=["baseURL", "keypairID", "privateKey"]),
        "encrypt": boolean(), "keyID": string(), "region": string(), "regionEndpoint": string(),
        "trustedCA": obj({"name": string(pattern=r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
                                         max_len=253)}),
        "virtualHostedStyle": boolean()}),
    "swift": obj({k: string() for k in ("authURL", "authVersion", "container", "domain", "domainID", "regionName",
                                        "tenant", "tenantID")}),
})
CONDITIONS = array(obj({"lastTransitionTime": string(), "message": string(), "reason": string(),
                        "status": string(), "type": string()}))
GENERATIONS = array(FREE)
OPERATOR_STATE = string(pattern=r"^(Managed|Unmanaged|Force|Removed)$")

REGISTRY_CONFIG = obj({
    "spec": obj({
        "affinity": FREE, "defaultRoute": boolean(), "disableRedirect": boolean(), "httpSecret": string(),
        "logLevel": string(enum=LOG_LEVELS, default="Normal"), "logging": integer(),
        "managementState": OPERATOR_STATE, "nodeSelector": STRMAP, "observedConfig": FREE,
        "operatorLogLevel": string(enum=LOG_LEVELS, default="Normal"),
        "proxy": obj({"http": string(), "https": string(), "noProxy": string()}),
        "readOnly": boolean(), "replicas": integer(),
        "requests": obj({k: obj({"maxInQueue": integer(), "maxRunning": integer(), "maxWaitInQueue": string()})
                         for k in ("read", "write")}),
        "resources": RESOURCES,
        "rolloutStrategy": string(pattern=r"^(RollingUpdate|Recreate)$"),
        "routes": array(obj({"hostname": string(), "name": string(), "secretName": string()}, required=["name"])),
        "storage": STORAGE, "tolerations": array(TOLERATION), "topologySpreadConstraints": array(FREE),
        "unsupportedConfigOverrides": FREE,
    }, required=["replicas"]),
    "status": obj({"conditions": CONDITIONS, "generations": GENERATIONS, "latestAvailableRevision": integer(),
                   "observedGeneration": integer(), "readOnly": boolean(), "readyReplicas": integer(),
                   "storage": STORAGE, "storageManaged": boolean(), "version": string()}),
}, required=["spec"])

IMAGE_PRUNER = obj({
    "spec": obj({"affinity": FREE, "failedJobsHistoryLimit": integer(), "ignoreInvalidImageReferences": boolean(),
                 "keepTagRevisions": integer(), "keepYoungerThan": integer(), "keepYoungerThanDuration": string(),
                 "logLevel": string(enum=LOG_LEVELS, default="Normal"), "nodeSelector": STRMAP,
                 "resources": RESOURCES, "schedule": string(), "successfulJobsHistoryLimit": integer(),
                 "suspend": boolean(), "tolerations": array(TOLERATION)}),
    "status": obj({"conditions": CONDITIONS, "observedGeneration": integer()}),
}, required=["spec"])

REGISTRY_LIST = array(string(min_len=1, max_len=256, pattern=HOST_PATH), max_items=1024)
IMAGE_CONFIG = obj({
    "spec": obj({
        "additionalTrustedCA": obj({"name": string()}, required=["name"]),
        "allowedRegistriesForImport": array(obj({"domainName": string(), "insecure": boolean()})),
        "externalRegistryHostnames": array(string()),
        "imageStreamImportMode": string(enum=["", "Legacy", "PreserveOriginal"]),
        "registrySources": obj({
            "allowedRegistries": REGISTRY_LIST, "blockedRegistries": REGISTRY_LIST,
            "containerRuntimeSearchRegistries": array(string(), min_items=1),
            "insecureRegistries": REGISTRY_LIST},
            cel=(lambda v: not ("blockedRegistries" in v and "allowedRegistries" in v),
                 "Only one of blockedRegistries or allowedRegistries may be set")),
    }),
    "status": obj({"externalRegistryHostnames": array(string()),
                   "imageStreamImportMode": string(enum=["", "Legacy", "PreserveOriginal"]),
                   "internalRegistryHostname": string()}),
}, required=["spec"])

SAMPLES_CONFIG = obj({
    "spec": obj({"architectures": array(string()), "managementState": OPERATOR_STATE, "samplesRegistry": string(),
                 "skippedHelmCharts": array(string(min_len=1, max_len=253,
                                                   pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"),
                                            max_items=16),
                 "skippedImagestreams": array(string()), "skippedTemplates": array(string())}),
    "status": obj({"architectures": array(string()), "conditions": CONDITIONS, "managementState": OPERATOR_STATE,
                   "samplesRegistry": string(), "skippedImagestreams": array(string()),
                   "skippedTemplates": array(string()), "version": string()}),
}, required=["spec"])


def _mirror_set(field):
    return obj({
        "spec": obj({field: array(obj({
            "mirrorSourcePolicy": string(enum=["NeverContactSource", "AllowContactingSource"]),
            "mirrors": array(string(pattern=MIRROR)),
            "source": string(pattern=HOST_PATH)}, required=["source"]))}),
        "status": FREE,
    }, required=["spec"])


ICSP = obj({"spec": obj({"repositoryDigestMirrors": array(obj({"mirrors": array(string()), "source": string()},
                                                              required=["source"]))}),
            "status": FREE}, required=["spec"])

SCHEMAS = {
    ("imageregistry.operator.openshift.io", "configs"): REGISTRY_CONFIG,
    ("imageregistry.operator.openshift.io", "imagepruners"): IMAGE_PRUNER,
    ("config.openshift.io", "images"): IMAGE_CONFIG,
    ("config.openshift.io", "imagedigestmirrorsets"): _mirror_set("imageDigestMirrors"),
    ("config.openshift.io", "imagetagmirrorsets"): _mirror_set("imageTagMirrors"),
    ("samples.operator.openshift.io", "configs"): SAMPLES_CONFIG,
    ("operator.openshift.io", "imagecontentsourcepolicies"): ICSP,
}


def _type_name(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _quote(value):
    if isinstance(value, str):
        return '"%s"' % value
    if isinstance(value, bool):
        return "true" if value else "false"
    return '"%s"' % _type_name(value) if isinstance(value, (dict, list)) else str(value)


class Result:
    def __init__(self):
        self.errors: list[tuple[str, str, str]] = []  # (field, reason, message)
        self.unknown: list[str] = []


def _check(schema, value, path, result, defaults):
    kind = schema["type"]
    if value is None:
        return value  # null means "unset" for optional fields, as the API server prunes it
    actual = _type_name(value)
    if kind == "quantity":
        if actual == "integer" or (actual == "string" and re.match(QUANTITY, value)):
            return value
        result.errors.append((path, "FieldValueInvalid", "Invalid value: %s: %s in body should match '%s'"
                              % (_quote(value), path, QUANTITY)))
        return value
    if actual != kind:
        result.errors.append((path, "FieldValueTypeInvalid", "Invalid value: %s: %s in body must be of type %s: %s"
                              % (_quote(actual), path, kind, _quote(actual))))
        return value
    if kind == "string":
        if schema["enum"] is not None and value not in schema["enum"]:
            result.errors.append((path, "FieldValueNotSupported", "Unsupported value: %s: supported values: %s"
                                  % (_quote(value), ", ".join('"%s"' % e for e in schema["enum"]))))
        if schema["max_len"] is not None and len(value) > schema["max_len"]:
            result.errors.append((path, "FieldValueTooLong", "Too long: may not be more than %d bytes" % schema["max_len"]))
        if schema["min_len"] is not None and len(value) < schema["min_len"]:
            result.errors.append((path, "FieldValueInvalid", "Invalid value: %s: %s in body should be at least %d chars long"
                                  % (_quote(value), path, schema["min_len"])))
        if schema["pattern"] is not None and not re.search(schema["pattern"], value):
            result.errors.append((path, "FieldValueInvalid", "Invalid value: %s: %s in body should match '%s'"
                                  % (_quote(value), path, schema["pattern"])))
    elif kind == "integer":
        if schema["min"] is not None and value < schema["min"]:
            result.errors.append((path, "FieldValueInvalid", "Invalid value: %d: %s in body should be greater than or equal to %d"
                                  % (value, path, schema["min"])))
        if schema["max"] is not None and value > schema["max"]:
            result.errors.append((path, "FieldValueInvalid", "Invalid value: %d: %s in body should be less than or equal to %d"
                                  % (value, path, schema["max"])))
    elif kind == "array":
        if schema["max_items"] is not None and len(value) > schema["max_items"]:
            result.errors.append((path, "FieldValueTooMany", "Too many: %d: must have at most %d items"
                                  % (len(value), schema["max_items"])))
        if schema["min_items"] is not None and len(value) < schema["min_items"]:
            result.errors.append((path, "FieldValueInvalid", "Invalid value: %d: %s in body should have at least %d items"
                                  % (len(value), path, schema["min_items"])))
        return [_check(schema["items"], item, "%s[%d]" % (path, i), result, defaults) for i, item in enumerate(value)]
    elif kind == "object":
        return _check_object(schema, value, path, result, defaults)
    return value


def _check_object(schema, value, path, result, defaults):
    if schema["free"]:
        return value
    out = {}
    for key, item in value.items():
        sub = "%s.%s" % (path, key) if path else key
        if schema["values"] is not None:
            out[key] = _check(schema["values"], item, sub, result, defaults)
        elif key in schema["props"]:
            if item is not None:
                out[key] = _check(schema["props"][key], item, sub, result, defaults)
        else:
            result.unknown.append(sub)
    for key in schema["required"]:
        if key not in out:
            result.errors.append(("%s.%s" % (path, key) if path else key, "FieldValueRequired", "Required value"))
    if defaults:
        for key, prop in schema["props"].items():
            if key not in out and prop.get("default") is not None:
                out[key] = prop["default"] if not isinstance(prop["default"], dict) else dict(prop["default"])
                if prop["type"] == "object":
                    out[key] = _check_object(prop, out[key], "%s.%s" % (path, key), Result(), True)
    if schema.get("cel") and not any(e[1] in BLOCKING for e in result.errors):
        rule, message = schema["cel"]
        if not rule(out):
            result.errors.append((path, "FieldValueInvalid", 'Invalid value: "object": %s' % message))
    return out


# schema errors that stop a CRD's CEL rules from running (apiextensions-apiserver's blocking errors)
BLOCKING = ("FieldValueTypeInvalid", "FieldValueNotSupported", "FieldValueRequired")
# the CRDs (openshift/api) that carry CEL rules: when the schema finds errors, kube-apiserver skips the rules and
# says so in one more cause
CEL_GROUPS = {("imageregistry.operator.openshift.io", "configs"), ("config.openshift.io", "images"),
              ("config.openshift.io", "clusterversions"), ("samples.operator.openshift.io", "configs"),
              ("machineconfiguration.openshift.io", "machineconfigpools"), ("route.openshift.io", "routes")}
CEL_SKIPPED = ("<nil>", "FieldValueInvalid", "Invalid value: null: some validation rules were not checked because the "
               "object was invalid; correct the existing errors to complete validation")


def validate(schema, body: dict, resource: tuple | None = None) -> tuple[dict, Result]:
    """Check body (without metadata/apiVersion/kind); unknown fields are reported, pruned from the result."""
    result = Result()
    rest = {k: v for k, v in body.items() if k not in ("apiVersion", "kind", "metadata")}
    pruned = _check_object(schema, rest, "", result, True)
    # only a wrong type or an unsupported enum value stops the CEL rules (apiextensions' blocking errors)
    if resource in CEL_GROUPS and any(e[1] in BLOCKING
                                      for e in result.errors):
        result.errors = [e for e in result.errors if not e[2].startswith('Invalid value: "object"')] + [CEL_SKIPPED]
    for key in ("apiVersion", "kind", "metadata"):
        if key in body:
            pruned[key] = body[key]
    return pruned, result
