# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""registry_access runs through the cluster action: the connection is resolved on the controller (see plugin_utils/cluster_action)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ocp.registry.plugins.plugin_utils.cluster_action import ClusterAction


class ActionModule(ClusterAction):
    pass
