# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MachineConfigPools: what they have rendered, and waiting until a change reached every machine."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.client import ClusterError, Resource

POOLS = Resource("machineconfiguration.openshift.io/v1", "machineconfigpools", "MachineConfigPool", False)
RENDER_GRACE = 10  # seconds the machine-config-controller gets to render a new config before "no change" is believed


class PoolError(OcpRegistryError):
    pass


def configs(client):
    """{pool: the rendered config it is set to}, before a change; {} where the cluster has no pools to read."""
    try:
        items = client.list(POOLS).get("items") or []
    except ClusterError as exc:
        if exc.status in (403, 404):
            return {}
        raise
    return dict((p["metadata"]["name"], ((p.get("spec") or {}).get("configuration") or {}).get("name"))
                for p in items)


def _waiting_line(pool):
    rendered = "rendered %s; " % pool["rendered_config"] if pool["new_config"] else "no new rendered config yet; "
    progress = pool["message"] or "%s/%s machines updated" % (pool["updated_machine_count"], pool["machine_count"])
    return "%s (%s%s)" % (pool["name"], rendered, progress)


def _result(state):
    return [dict((k, v) for k, v in pool.items() if not k.startswith("_"))
            for pool in sorted(state.values(), key=lambda p: p["name"])]


def wait(client, before, params, warn, sleep=time.sleep):
    """Wait until every pool rendered a new configuration and rolled it out to all its machines."""
    timeout = params.get("wait_timeout") or 1800
    interval = params.get("wait_sleep") or 5
    started = time.time()
    deadline = started + timeout
    state = {}
    seen_updating = set()
    while True:
        items = client.list(POOLS).get("items") or []
        state = {}
        for pool in items:
            name = pool["metadata"]["name"]
            spec_name = ((pool.get("spec") or {}).get("configuration") or {}).get("name")
            status = pool.get("status") or {}
            conds = dict((c.get("type"), c) for c in status.get("conditions") or [])
            rendered = spec_name != before.get(name)
            settled = (status.get("configuration") or {}).get("name") == spec_name and \
                (conds.get("Updated") or {}).get("status") == "True" and \
                status.get("observedGeneration") == (pool.get("metadata") or {}).get("generation") and \
                status.get("updatedMachineCount") == status.get("machineCount")
            done = rendered and settled
            if (conds.get("Updating") or {}).get("status") == "True":
                seen_updating.add(name)
            state[name] = dict(name=name, rendered_config=spec_name, updated=done, new_config=rendered,
                               seen_updating=name in seen_updating, _settled=settled,
                               machine_count=status.get("machineCount"),
                               updated_machine_count=status.get("updatedMachineCount"),
                               message=(conds.get("Degraded") or {}).get("message") if
                               (conds.get("Degraded") or {}).get("status") == "True" else
                               (conds.get("Updating") or {}).get("message") or "")
            if (conds.get("Degraded") or {}).get("status") == "True":
                raise PoolError("MachineConfigPool %s is Degraded: %s" % (name, state[name]["message"]))
        if state and all(p["updated"] for p in state.values()):
            return _result(state)
        # a change that leaves the nodes' files as they were (an entry the machine config operator drops)
        # renders no new config: once the controller had time to render, the pools are where they should be
        if state and time.time() - started >= min(RENDER_GRACE, timeout) and \
                all(p["_settled"] and not p["new_config"] for p in state.values()):
            warn("the MachineConfigPools kept their rendered config: the nodes' files did not change "
                 "(the machine config operator may have dropped an entry; see its log)")
            for pool in state.values():
                pool["updated"] = True
            return _result(state)
        if time.time() >= deadline:
            waiting = [_waiting_line(p) for p in state.values() if not p["updated"]]
            raise PoolError("the change was written, but the MachineConfigPools did not roll it out within %ds: %s"
                            % (timeout, "; ".join(waiting)))
        sleep(interval)
