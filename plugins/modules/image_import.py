#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: image_import
short_description: Import images into imagestreams from third-party registries, as oc import-image does
version_added: 1.0.0
description:
  - Imports tags (or whole repositories) into imagestreams through the ImageStreamImport API, with the semantics
    of C(oc import-image) (creating a missing stream, re-importing a tag from its own source, refusing to change a
    tag's source unless O(images[].force=true)).
  - All requested tags of one stream go in one ImageStreamImport; one task imports many streams.
  - Reports C(changed) only when a tag's image digest moved or a tag or stream was created (or a tag's import policy
    changed). The result lists, per tag, the source, the digest before and after, and the registry's reason on failure.
  - A failed image fails the task with the registry's reason and a hint (for example which pull secret is missing),
    unless O(fail_on_error=false).
  - Check mode is a real dry run (C(import=false)); the registries are asked and digests resolved, nothing is written,
    and C(changed) predicts what a real run would do.
  - Imports are never insecure unless asked for; a stream annotated C(openshift.io/image.insecureRepository=true) is
    honoured as oc does.
  - Says what an import sets off (RV(reactions)) - for each tag whose digest moves (in check mode, would move),
    the Deployments, StatefulSets, DaemonSets and CronJobs whose C(image.openshift.io/triggers) annotation follows it
    and the BuildConfigs whose ImageChange trigger follows it, with the container image before and after as the
    trigger will set it (the tag's reference policy applied). Paused triggers are listed and marked. After a real
    import, each reaction says whether the cluster carried it out (O(reactions_timeout)).
  - O(max_reactions) and O(protected_namespaces) refuse an import that would set off more reactions, or any in
    those namespaces, before the import request is sent (every stream is asked with C(import=false) first).
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ocp.registry.cluster
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Sends ImageStreamImports with C(import=false); the registries are contacted, nothing is stored.
  diff_mode:
    support: full
    details: Each tag's digest before and after.
  idempotent:
    support: full
    details: A re-import that finds the same digests reports no change and leaves the stream untouched.
options:
  namespace:
    description: Namespace of the imagestreams.
    type: str
    required: true
  images:
    description: What to import.
    type: list
    elements: dict
    required: true
    suboptions:
      stream:
        description: The imagestream (created when missing).
        type: str
        required: true
      tag:
        description: The stream's tag to import into. V(latest) when left out.
        type: str
      all:
        description: Import every tag of the repository O(images[].from) (the server imports at most 50 and reports the rest).
        type: bool
        default: false
      from:
        description:
          - The source image (V(quay.io/org/app:1.2), a digest reference, or with O(images[].all) a repository).
          - Optional when the tag (or the stream's repository) already names its source; then the tag is re-imported from it.
        type: str
      force:
        description: Allow O(images[].from) to change the source of an existing tag (C(oc tag) would do this).
        type: bool
        default: false
      reference_policy:
        description:
          - V(source) pulls from the original registry; V(local) through the integrated registry.
          - An import keeps an existing tag's reference policy (the server's rule), so for an existing tag whose policy
            differs the module updates the image stream's tag after the import; left out, the tag keeps its policy.
        type: str
        choices: [source, local]
      import_mode:
        description: V(Legacy) picks one image of a manifest list; V(PreserveOriginal) keeps the list and every image.
        type: str
        choices: [Legacy, PreserveOriginal]
      scheduled:
        description:
          - Let the cluster re-import the tag periodically. V(false) turns a scheduled import off; left out, the tag
            keeps its setting (as C(oc import-image) does).
        type: bool
      insecure:
        description: Allow HTTP and skip TLS verification for this registry. Only for registries without TLS.
        type: bool
  fail_on_error:
    description: Fail the task when an image failed to import. When false, failures are only reported per tag.
    type: bool
    default: true
  parallel:
    description:
      - How many streams are imported at the same time, each on a kept-open connection of its own. V(1) imports
        one stream after the other. The API server's throttling (429 with Retry-After) is honoured per request.
    type: int
    default: 8
  reactions:
    description:
      - Look up what the moved tags set off. Only a run in which some tag moves reads the workloads and build
        configs (one list per kind and namespace); a run with nothing to import sends no such request.
    type: bool
    default: true
  reactions_namespaces:
    description:
      - Other namespaces whose workloads and build configs may follow this namespace's tags (a trigger's C(from)
        may name another namespace). O(namespace) is always searched.
    type: list
    elements: str
    default: []
  reactions_timeout:
    description:
      - After a real import, how many seconds to wait for the cluster's image trigger controller to carry out the
        reactions before reporting them as not applied. V(0) reports without waiting.
    type: int
    default: 15
  max_reactions:
    description:
      - Refuse the import, before it is sent, when it would set off more than this many reactions (paused triggers
        do not count). V(0) refuses any reaction.
    type: int
  protected_namespaces:
    description:
      - Refuse the import, before it is sent, when it would set off any reaction in these namespaces.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Import three images, one request per stream
  ocp.registry.image_import:
    namespace: my-app
    images:
      - stream: ubi9
        tag: latest
        from: registry.redhat.io/ubi9/ubi:latest
      - stream: app
        tag: "1.2"
        from: quay.io/myorg/app:1.2
      - stream: app
        tag: stable
        from: quay.io/myorg/app:1.1
  register: imported

- name: Re-import every tag that tracks its source (a scheduled drift job)
  ocp.registry.image_import:
    namespace: my-app
    images:
      - stream: ubi9
      - stream: app
        tag: "1.2"
      - stream: app
        tag: stable
    fail_on_error: false

- name: A whole repository, keeping multi-arch manifest lists
  ocp.registry.image_import:
    namespace: tools
    images:
      - stream: mirror-tools
        all: true
        from: mirror.example.com:8443/tools/cli
        import_mode: PreserveOriginal
"""

RETURN = r"""
images:
  description: One item per imported tag.
  returned: always
  type: list
  elements: dict
  sample: [{"namespace": "my-app", "stream": "app", "tag": "1.2", "source": "quay.io/myorg/app:1.2",
            "digest_before": "sha256:1111", "digest_after": "sha256:2222", "changed": true, "created": false,
            "policy_changed": false, "status": "Success", "stream_created": false}]
  contains:
    namespace:
      description: The namespace.
      type: str
    stream:
      description: The image stream.
      type: str
    tag:
      description: The tag.
      type: str
    source:
      description: The image imported.
      type: str
    digest_before:
      description: The tag's digest before the run.
      type: str
    digest_after:
      description: The digest found (null on failure).
      type: str
    status:
      description: V(Success) or V(Failure).
      type: str
    changed:
      description: Whether the digest moved.
      type: bool
    created:
      description: Whether the tag is new.
      type: bool
    policy_changed:
      description: Whether the tag's import or reference policy changed.
      type: bool
    reason:
      description: The failure's reason.
      type: str
    message:
      description: The failure's message.
      type: str
    hint:
      description: What to do about the failure.
      type: str
failed_images:
  description: The items of RV(images) that failed, with C(reason), C(message) and C(hint).
  returned: always
  type: list
  elements: dict
  sample: [{"stream": "app", "tag": "9.9", "status": "Failure", "reason": "NotFound",
            "message": "dockerimage.image.openshift.io \"quay.io/myorg/app:9.9\" not found",
            "hint": "check the repository and tag at quay.io"}]
  contains:
    stream:
      description: The image stream.
      type: str
    tag:
      description: The tag.
      type: str
    reason:
      description: The failure's reason.
      type: str
    message:
      description: The failure's message.
      type: str
repositories:
  description: For O(images[].all) imports, the repository's status and the tags the server did not import.
  returned: always
  type: list
  elements: dict
  sample: [{"stream": "mirror-tools", "status": "Success", "imported": 50, "additional_tags": ["0.9", "0.8"]}]
  contains:
    stream:
      description: The image stream.
      type: str
    source:
      description: The repository.
      type: str
    status:
      description: Its import status.
      type: str
    imported:
      description: How many tags were imported.
      type: int
    additional_tags:
      description: Tags over the server's limit, not imported.
      type: list
      elements: str
reactions:
  description:
    - What the moved tags set off, or would in check mode. Empty when nothing moved or O(reactions=false).
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "Deployment", "namespace": "shop", "name": "web", "container": "web", "tag": "shop/app:1.2",
            "image_before": "quay.io/org/app@sha256:1111...", "image_after": "quay.io/org/app@sha256:2222...",
            "paused": false, "applied": true}]
  contains:
    kind:
      description: V(Deployment), V(StatefulSet), V(DaemonSet), V(CronJob) or V(BuildConfig) (a new build).
      type: str
    namespace:
      description: Its namespace.
      type: str
    name:
      description: Its name.
      type: str
    container:
      description: The container whose image the trigger sets (none for a BuildConfig).
      type: str
    tag:
      description: The tag it follows, C(namespace/stream:tag).
      type: str
    image_before:
      description: The container's image now (for a BuildConfig, the image it last triggered for).
      type: str
    image_after:
      description: The image the trigger sets.
      type: str
    paused:
      description: The trigger is paused, so nothing happens now; not counted by O(max_reactions).
      type: bool
    applied:
      description: After a real import, whether the cluster carried it out within O(reactions_timeout). Not in check mode.
      type: bool
    build:
      description: For a BuildConfig reaction that happened, the Build it started (C(<config>-<number>)).
      type: str
    description:
      description: The reaction in words.
      type: str
moved:
  description: C(stream:tag) of every tag whose digest moved.
  returned: always
  type: list
  elements: str
would_refuse:
  description: In check mode with O(max_reactions) or O(protected_namespaces), why a real run would refuse the import
    (it fails then, before sending it); null otherwise.
  returned: always
  type: str
notes:
  description: What the module noticed, in words (for example workloads it may not read).
  returned: always
  type: list
  elements: str
streams_created:
  description: Streams that did not exist (and were, or in check mode would be, created).
  returned: always
  type: list
  elements: str
api_requests:
  description: Requests sent to the API server.
  returned: always
  type: int
"""

from ansible_collections.ocp.registry.plugins.module_utils.imports import image_import
from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.imports import reactions
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule

IMAGE_SPEC = {
    "stream": dict(type="str", required=True),
    "tag": dict(type="str"),
    "all": dict(type="bool", default=False),
    "from": dict(type="str"),
    "force": dict(type="bool", default=False),
    "reference_policy": dict(type="str", choices=["source", "local"]),
    "import_mode": dict(type="str", choices=["Legacy", "PreserveOriginal"]),
    "scheduled": dict(type="bool"),
    "insecure": dict(type="bool"),
}


def moves_of(results):
    """{(namespace, stream, tag): how the tag's newest image changes} for the tags that move or are made."""
    return dict(((r["namespace"], r["stream"], r["tag"]), r["_move"]) for r in results
                if r.get("_move") and (r["changed"] or r["created"]))


def main():
    module = ClusterModule(
        argument_spec=dict(namespace=dict(type="str", required=True),
                           images=dict(type="list", elements="dict", required=True, options=IMAGE_SPEC),
                           fail_on_error=dict(type="bool", default=True),
                           parallel=dict(type="int", default=8),
                           reactions=dict(type="bool", default=True),
                           reactions_namespaces=dict(type="list", elements="str", default=[]),
                           reactions_timeout=dict(type="int", default=15),
                           max_reactions=dict(type="int"),
                           protected_namespaces=dict(type="list", elements="str", default=[])),
        supports_check_mode=True,
    )
    params = module.params
    images = params["images"]
    grouped = {}
    if not 1 <= params["parallel"] <= 32:
        module.fail_json(msg="parallel: give 1 to 32 streams at a time (got %d)" % params["parallel"])
    if not 0 <= params["reactions_timeout"] <= 3600:
        module.fail_json(msg="reactions_timeout: give 0 to 3600 seconds (got %d)" % params["reactions_timeout"])
    if params["max_reactions"] is not None and params["max_reactions"] < 0:
        module.fail_json(msg="max_reactions: give 0 or more (got %d)" % params["max_reactions"])
    guarded = params["max_reactions"] is not None or bool(params["protected_namespaces"])
    if guarded and not params["reactions"]:
        module.fail_json(msg="max_reactions and protected_namespaces need reactions: true (the guard counts them)")
    notes = []
    state = {"reactions": None, "would_refuse": None}
    try:
        image_import.validate(images, params["namespace"])
        searched = [params["namespace"]] + [n for n in params["reactions_namespaces"] if n != params["namespace"]]
        for name in searched + list(params["protected_namespaces"]):
            problem = names.kube_name_error("namespace", name)
            if problem:
                raise image_import.ImportRequestError("reactions_namespaces/protected_namespaces: " + problem)
        for item in images:
            grouped.setdefault(item["stream"], []).append(item)
        finder = reactions.Reactions(module.client, searched, notes)

        def before_import(planned):
            state["reactions"] = finder.predict(moves_of(planned))
            reactions.guard(state["reactions"], params["max_reactions"], params["protected_namespaces"])
        importer = image_import.Importer(module.client, module.check_mode, params["parallel"], notes)
        results, repositories, created = importer.run(params["namespace"], grouped,
                                                      before_import if guarded else None)
        found = []
        if params["reactions"]:
            moves = moves_of(results)
            found = state["reactions"] if state["reactions"] is not None else finder.predict(moves)
            if not module.check_mode and found:
                finder.observe(found, params["reactions_timeout"])
            if module.check_mode and guarded:
                try:
                    reactions.guard(found, params["max_reactions"], params["protected_namespaces"])
                except reactions.GuardError as exc:
                    # a real run would refuse; check mode says so and still reports the prediction
                    state["would_refuse"] = str(exc).replace("import refused before it was sent", "a real run would "
                                                             "refuse the import", 1)
                    module.warn(state["would_refuse"])
    except OcpRegistryError as exc:
        module.fail_from(exc, reactions=state["reactions"] or [], notes=notes)
    for item in results:
        item.pop("_move", None)
    failed = [r for r in results if r["status"] != "Success"]
    moved = ["%s:%s" % (r["stream"], r["tag"]) for r in results if r["changed"]]
    changed = bool(moved or created or any(r["created"] or r.get("policy_changed") for r in results))
    result = dict(changed=changed, images=results, failed_images=failed, repositories=repositories, moved=moved,
                  streams_created=created, reactions=found, notes=notes, would_refuse=state["would_refuse"],
                  api_requests=module.client.requests)
    if module._diff:
        result["diff"] = dict(
            before=dict(("%s:%s" % (r["stream"], r["tag"]), r["digest_before"]) for r in results),
            after=dict(("%s:%s" % (r["stream"], r["tag"]), r["digest_after"] or r["digest_before"]) for r in results))
    if failed and module.params["fail_on_error"]:
        lines = ["tag %s:%s failed: %s (%s)%s" % (r["stream"], r["tag"], r.get("message"), r.get("reason"),
                                                  "; " + r["hint"] if r.get("hint") else "") for r in failed[:10]]
        if len(failed) > 10:
            lines.append("and %d more" % (len(failed) - 10))
        module.fail_json(msg="%d of %d images failed to import: %s" % (len(failed), len(results), "; ".join(lines)),
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
