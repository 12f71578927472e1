# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image_streams role's input check and summary, computed in one filter each instead of a task per part."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

REFUSED = "import refused before it was sent"


def import_problems(imports):
    """What is wrong with image_streams_imports, one line per kind of problem (empty when nothing is)."""
    problems = []
    entries = imports or []
    for entry in entries:
        images = entry.get("images") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not entry.get("namespace") or not isinstance(images, list) or not images:
            problems.append("image_streams_imports entries need a namespace and a non-empty images list")
            break
    namespaces = [e.get("namespace") for e in entries if isinstance(e, dict)]
    if len(set(namespaces)) != len(namespaces):
        problems.append("list each namespace once in image_streams_imports (merge its images)")
    return problems


def _images(results, key):
    out = []
    for result in results or []:
        out.extend(result.get(key) or [])
    return out


def import_summary(results, access=None):
    """From the image_import results (one per namespace) and the registry_access results: what moved, what failed,
    how many tags were imported, the access changes, what the imports set off and what the reaction guard refused."""
    results = results or []
    images = _images(results, "images")
    refused = [r["msg"] for r in results if str(r.get("msg") or "").startswith(REFUSED)]
    refused.extend(r["would_refuse"] for r in results if r.get("would_refuse"))
    return dict(
        moved=["%s/%s/%s" % (i["namespace"], i["stream"], i["tag"]) for i in images if i.get("changed")],
        failed=["%s/%s/%s/%s" % (i["namespace"], i["stream"], i["tag"], i.get("reason"))
                for i in _images(results, "failed_images")],
        imported=len(images),
        access=[r.get("summary") for r in access or [] if r.get("changed")],
        reactions=[reaction.get("description") for r in results if r.get("images") is not None
                   for reaction in r.get("reactions") or []],
        refused=refused)


class FilterModule(object):
    def filters(self):
        return {"import_problems": import_problems, "import_summary": import_summary}
