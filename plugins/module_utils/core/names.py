# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every name pattern the collection checks before a request, in one place: Kubernetes object names, registry hosts
and the scopes the OpenShift CRDs accept for registries and mirrors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Kubernetes object names (apimachinery's validation): namespaces and most names are DNS-1123 labels, Secrets,
# ConfigMaps and service accounts DNS-1123 subdomains
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_MAX, SUBDOMAIN_MAX = 63, 253

# a host name label as registries and the config.openshift.io CRDs accept it (either case)
LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
HOSTNAME = re.compile(r"^" + LABEL + r"(?:\." + LABEL + r")*$")
HOST_PORT = re.compile(r"^" + LABEL + r"(?:\." + LABEL + r")*(?::[0-9]{1,5})?$")
WILDCARD_OR_HOST_PORT = re.compile(r"^(?:\*\.)?" + LABEL + r"(?:\." + LABEL + r")*(?::[0-9]{1,5})?$")
WILDCARD_DOMAIN = re.compile(r"^\*\." + LABEL + r"(?:\." + LABEL + r")*$")
# a repository path after the host, as the image.config and mirror-set CRDs' patterns have it
REPOSITORY_PATH = r"(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?"
# host[:port][/path] (a mirror), or that or *.domain (a registrySources entry, a mirror source)
HOST_SCOPE = re.compile(r"^(" + LABEL + r"(?:(?:\." + LABEL + r")+)?(?::[0-9]+)?)" + REPOSITORY_PATH + r"$")
SCOPE = re.compile(r"^\*(?:\." + LABEL + r")+$|" + HOST_SCOPE.pattern)
# containers-registries.conf(5) location: host[:port][/path]
LOCATION = re.compile(r"^" + LABEL + r"(?:\." + LABEL + r")*(?::[0-9]{1,5})?(?:/[a-z0-9._/-]*[a-z0-9])?$")


def kube_name_error(kind, value, subdomain=False):
    """None when value is a valid name of that kind, else what is wrong with it."""
    pattern, limit = (DNS1123_SUBDOMAIN, SUBDOMAIN_MAX) if subdomain else (DNS1123_LABEL, LABEL_MAX)
    if not isinstance(value, str) or not value.strip():
        return "%s must not be empty" % kind
    if len(value) > limit or not pattern.match(value):
        return ("%s %r is not a valid name: lower case letters, digits and '-'%s, starting and ending with a letter "
                "or digit, at most %d characters" % (kind, value, " or '.'" if subdomain else "", limit))
    return None
