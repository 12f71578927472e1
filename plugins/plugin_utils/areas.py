# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The areas of the desired state, in one table: which role applies each, on clusters or on hosts, when the
inventory configures it, and the variable its result is published in. site.yml applies the areas this table says are
configured; drift.yml checks exactly those and builds its report from the published results; nothing else spells
them out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ocp.registry.plugins.filter.registry_definitions import credential_entries


def _get(variables, name, default=None):
    try:
        return variables[name] if name in variables else default
    except (KeyError, TypeError):
        return default


def _first(variables, name, fallback):
    value = _get(variables, name)
    return value if value is not None else (_get(variables, fallback) or [])


def _credentials(variables):
    listed = _get(variables, "registry_credentials_list")
    return listed if listed is not None else credential_entries(_get(variables, "registry_definitions") or [])


# (area, role, where it runs, "is it configured" test, the report part it feeds, the variable of its result)
AREAS = (
    ("integrated_registry", "ocp.registry.integrated_registry", "cluster",
     lambda v: any(name in v for name in ("integrated_registry_management_state", "integrated_registry_storage",
                                          "integrated_registry_pruner")),
     (("registry", "integrated_registry_result"), ("image_pruner", "integrated_registry_pruner_result"))),
    ("image_policy", "ocp.registry.image_policy", "cluster",
     lambda v: bool(_first(v, "image_policy_registries", "registry_definitions"))
     or "image_policy_external_hostnames" in v or "image_policy_import_mode" in v,
     (("image_policy", "image_policy_result"),)),
    ("image_mirrors", "ocp.registry.image_mirrors", "cluster",
     lambda v: bool(_first(v, "image_mirrors_list", "registry_mirrors")),
     (("image_mirrors", "image_mirrors_result"),)),
    ("registry_credentials", "ocp.registry.registry_credentials", "both",
     lambda v: bool(_credentials(v)),
     (("credentials", "registry_credentials_result"),)),
    ("host_registries", "ocp.registry.host_registries", "hosts",
     lambda v: bool(_first(v, "host_registries_definitions", "registry_definitions"))
     or bool(_first(v, "host_registries_mirrors", "registry_mirrors")),
     (("host_registries", "host_registries_result"),)),
    ("image_streams", "ocp.registry.image_streams", "cluster",
     lambda v: bool(_get(v, "image_streams_imports")) or bool(_get(v, "image_streams_access")),
     (("imports", "image_streams_result"), ("image_access", "image_streams_access_result"))),
)

# the drift report's parts: those read from a cluster's results, and those read from each of its hosts'
CLUSTER_PARTS = tuple(part for _area, _role, where, _test, parts in AREAS if where != "hosts" for part in parts)
HOST_PARTS = (("host_credentials", "registry_credentials_result"), ("host_registries", "host_registries_result"))


def configured_areas(variables):
    """The areas a host's variables configure, in the order site.yml applies them."""
    return [area for area, _role, _where, test, _parts in AREAS if test(variables)]
