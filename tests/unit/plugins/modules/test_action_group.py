# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")


def cluster_modules():
    """Modules whose documentation takes the cluster connection options."""
    found = set()
    directory = os.path.join(ROOT, "plugins", "modules")
    for name in os.listdir(directory):
        if name.endswith(".py") and not name.startswith("_"):
            with open(os.path.join(directory, name)) as handle:
                if "ocp.registry.cluster" in handle.read():
                    found.add(name[:-3])
    return found


def test_every_cluster_module_is_in_the_action_group():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        group = set(yaml.safe_load(handle)["action_groups"]["cluster"])
    modules = cluster_modules()
    assert modules, "no cluster module found"
    assert modules == group


def test_every_cluster_module_has_its_cluster_action():
    """Without its action plugin a cluster module loses the controller-side connection and the in-worker run."""
    missing = []
    for name in sorted(cluster_modules()):
        path = os.path.join(ROOT, "plugins", "action", name + ".py")
        if not os.path.exists(path):
            missing.append(name)
            continue
        with open(path) as handle:
            if "class ActionModule(ClusterAction)" not in handle.read():
                missing.append(name + " (not a ClusterAction)")
    assert not missing, "cluster modules without their action plugin: %s" % ", ".join(missing)
