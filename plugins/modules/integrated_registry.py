#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: integrated_registry
short_description: Configure OpenShift's integrated image registry through the image registry operator
version_added: 1.0.0
description:
  - Manages C(configs.imageregistry.operator.openshift.io/cluster), the image registry operator's config, with its
    management state, storage (one backend, with its credentials in
    C(openshift-image-registry/image-registry-private-configuration-user)), replicas, rollout strategy,
    routes, placement, proxy and log levels.
  - Options left out keep their live values. A second run with the same options reports no change and sends
    no write request.
  - Switching storage backends removes the old backend's block (which a merge patch cannot do) and says so in
    the diff and in RV(notes).
  - Validates with the operator's own rules before any write (one backend, ReadWriteOnce claims need one
    replica and the Recreate strategy, emptyDir with several replicas, duplicate route names, the backend's
    required credentials), so a mistake fails the task instead of degrading the cluster operator.
  - With O(wait), returns only when the operator reports the registry rolled out, and fails with the operator's
    own condition reason and message when it cannot.
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ocp.registry.cluster
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Predicts the resulting config, credentials and claim; writes nothing. Waiting is skipped when a change is predicted.
  diff_mode:
    support: full
    details: The config before and after (httpSecret masked) and each storage credential key as masked, added or changed.
  idempotent:
    support: full
options:
  management_state:
    description:
      - V(Managed) runs the registry, V(Removed) removes it (and storage the operator manages),
        V(Unmanaged) makes the operator leave it alone.
    type: str
    choices: [Managed, Removed, Unmanaged]
  storage:
    description:
      - The storage backend. Give exactly one of its suboptions.
      - There is no C(oss) (Alibaba Cloud), since the operator has no driver for it (the CRD accepts the block).
      - Fields left out of the backend keep their live values while the backend stays the same.
    type: dict
    suboptions:
      empty_dir:
        description:
          - Ephemeral storage in the pod; images are lost when the pod restarts. Give V({}).
        type: dict
      pvc:
        description:
          - A persistent volume claim in C(openshift-image-registry).
        type: dict
        suboptions:
          claim:
            description:
              - The claim's name. Left out, the operator creates and manages C(image-registry-storage) (ReadWriteMany,
                100Gi, default storage class).
            type: str
          create:
            description:
              - Create O(storage.pvc.claim) when it does not exist (never changes an existing claim).
            type: bool
            default: false
          size:
            description:
              - Requested size of a claim to create; V(100Gi) when left out.
            type: str
          storage_class:
            description:
              - Storage class of a claim to create; the cluster default otherwise.
            type: str
          access_mode:
            description:
              - Access mode of a claim to create (V(ReadWriteMany) when left out), and the mode the rules assume
                before the claim exists. An existing claim's own access modes always decide.
              - V(ReadWriteOnce) needs O(replicas=1) and O(rollout_strategy=Recreate).
            type: str
            choices: [ReadWriteMany, ReadWriteOnce]
          volume_mode:
            description:
              - Volume mode of a claim to create.
            type: str
            choices: [Filesystem, Block]
      s3:
        description:
          - Amazon S3 or an S3-compatible store.
        type: dict
        suboptions:
          bucket:
            description: Bucket name; left out, the operator creates one and manages it.
            type: str
          region:
            description: Bucket region.
            type: str
          region_endpoint:
            description: Endpoint of an S3-compatible store (for example V(https://s3.example.com)).
            type: str
          encrypt:
            description: Encrypt the registry's data in the bucket.
            type: bool
          key_id:
            description: KMS key ID for encryption.
            type: str
          virtual_hosted_style:
            description: Use virtual-hosted-style bucket URLs with a custom endpoint.
            type: bool
          chunk_size_mib:
            description: Multipart upload chunk size, 5 to 5120 MiB.
            type: int
          trusted_ca:
            description: Name of a ConfigMap in C(openshift-config) with the CA bundle of O(storage.s3.region_endpoint).
            type: str
          cloud_front:
            description: Serve blobs through Amazon CloudFront.
            type: dict
            suboptions:
              base_url:
                description: CloudFront base URL.
                type: str
              keypair_id:
                description: CloudFront key pair ID.
                type: str
              duration:
                description: How long signed URLs stay valid (for example V(20m)).
                type: str
              private_key_secret:
                description: Secret in C(openshift-image-registry) holding the CloudFront private key.
                type: str
              private_key_key:
                description: Key of that Secret.
                type: str
          access_key:
            description: Access key ID, written to the credentials Secret.
            type: str
          secret_key:
            description: Secret access key, written to the credentials Secret.
            type: str
      gcs:
        description:
          - Google Cloud Storage.
        type: dict
        suboptions:
          bucket:
            description: Bucket name; left out, the operator creates one.
            type: str
          region:
            description: Bucket location.
            type: str
          project_id:
            description: GCP project ID.
            type: str
          key_id:
            description: KMS key ID for encryption.
            type: str
          key_file:
            description: Content of a service account JSON key file, written to the credentials Secret.
            type: str
      azure:
        description:
          - Azure Blob Storage.
        type: dict
        suboptions:
          account_name:
            description: Storage account name.
            type: str
          container:
            description: Blob container name (3 to 63 lowercase letters, digits, hyphens).
            type: str
          cloud_name:
            description: Azure cloud environment (for example V(AzurePublicCloud)).
            type: str
          network_access:
            description: Reach the storage account over the internet (External) or a private endpoint (Internal).
            type: dict
            suboptions:
              type:
                description: V(External) or V(Internal).
                type: str
                choices: [External, Internal]
              internal:
                description: Private endpoint settings, only with O(storage.azure.network_access.type=Internal).
                type: dict
                suboptions:
                  network_resource_group_name:
                    description: Resource group of the virtual network.
                    type: str
                  private_endpoint_name:
                    description: Name of the private endpoint.
                    type: str
                  subnet_name:
                    description: Subnet name.
                    type: str
                  vnet_name:
                    description: Virtual network name.
                    type: str
          account_key:
            description: Storage account key, written to the credentials Secret. Must not be empty.
            type: str
      swift:
        description:
          - OpenStack Swift.
        type: dict
        suboptions:
          auth_url:
            description: Keystone URL.
            type: str
          auth_version:
            description: Keystone API version.
            type: str
          container:
            description: Container name; left out, the operator creates one.
            type: str
          domain:
            description: Keystone domain name.
            type: str
          domain_id:
            description: Keystone domain ID.
            type: str
          region_name:
            description: Region.
            type: str
          tenant:
            description: Project (tenant) name.
            type: str
          tenant_id:
            description: Project (tenant) ID.
            type: str
          username:
            description: User name, written to the credentials Secret.
            type: str
          password:
            description: Password, written to the credentials Secret.
            type: str
          application_credential_id:
            description: Application credential ID, written to the credentials Secret.
            type: str
          application_credential_name:
            description: Application credential name, written to the credentials Secret.
            type: str
          application_credential_secret:
            description: Application credential secret, written to the credentials Secret.
            type: str
          token_id:
            description: Token ID, written to the credentials Secret.
            type: str
      ibmcos:
        description:
          - IBM Cloud Object Storage.
        type: dict
        suboptions:
          bucket:
            description: Bucket name; left out, the operator creates one.
            type: str
          location:
            description: Bucket location.
            type: str
          resource_group_name:
            description: Resource group.
            type: str
          resource_key_crn:
            description: CRN of the service credential.
            type: str
          service_instance_crn:
            description: CRN of the Cloud Object Storage instance.
            type: str
          api_key:
            description: IAM API key, written to the credentials Secret.
            type: str
  storage_management_state:
    description:
      - V(Managed) lets the operator delete the storage when the registry is Removed; V(Unmanaged) never.
      - Left out when the backend changes, it is V(Unmanaged) for a claim or bucket you name and V(Managed) for
        one the operator creates, so the operator never deletes your storage.
    type: str
    choices: [Managed, Unmanaged]
  replicas:
    description: Number of registry pods.
    type: int
  allow_empty_dir_replicas:
    description:
      - Allow more than one replica on emptyDir storage (each replica keeps its own images, so pushes get lost).
    type: bool
    default: false
  rollout_strategy:
    description: How the registry Deployment rolls out. A ReadWriteOnce claim needs V(Recreate).
    type: str
    choices: [RollingUpdate, Recreate]
  default_route:
    description: Expose the registry on the default route C(default-route-openshift-image-registry.<apps domain>).
    type: bool
  routes:
    description:
      - Additional routes. The given list replaces the live one; V([]) removes them all.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Route name. V(default-route) is refused before any write, since the operator reserves it for
            O(default_route).
        type: str
        required: true
      hostname:
        description: Host name; the router generates one when left out.
        type: str
      secret_name:
        description: Secret in C(openshift-image-registry) with keys C(tls.crt), C(tls.key) and C(tls.cacrt).
        type: str
  node_selector:
    description: Node labels the registry pods must run on.
    type: dict
  tolerations:
    description: Tolerations of the registry pods.
    type: list
    elements: dict
  affinity:
    description: Affinity of the registry pods.
    type: dict
  resources:
    description: Resource requests and limits of the registry container.
    type: dict
  disable_redirect:
    description: Serve blobs through the registry instead of redirecting clients to the storage backend.
    type: bool
  read_only:
    description: Put the registry in read-only mode.
    type: bool
  proxy:
    description: Proxy the registry uses to reach its storage backend.
    type: dict
    suboptions:
      http:
        description: HTTP proxy URL.
        type: str
      https:
        description: HTTPS proxy URL.
        type: str
      no_proxy:
        description: Comma-separated hosts that bypass the proxy.
        type: str
  log_level:
    description: The registry's log level.
    type: str
    choices: [Normal, Debug, Trace, TraceAll]
  operator_log_level:
    description: The operator's log level.
    type: str
    choices: [Normal, Debug, Trace, TraceAll]
  wait:
    description:
      - Return only when the operator reports the registry rolled out (see the registry_info module for what that
        means), or fail with the operator's reason.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the rollout.
    type: int
    default: 600
  wait_sleep:
    description: Seconds between checks while waiting.
    type: float
    default: 1
notes:
  - The operator writes defaults back into its config (C(httpSecret), the default claim name, generated bucket
    names). They are live values like any other, and options left out keep them, so later runs stay idempotent.
"""

EXAMPLES = r"""
- name: Bare metal with a claim on shared storage, wait for the rollout
  ocp.registry.integrated_registry:
    management_state: Managed
    storage:
      pvc:
        claim: registry-storage
        create: true
        size: 200Gi
        storage_class: nfs-csi
        access_mode: ReadWriteMany
    replicas: 2
    default_route: true
    wait: true

- name: S3-compatible store
  ocp.registry.integrated_registry:
    management_state: Managed
    storage:
      s3:
        bucket: ocp-registry
        region: us-east-1
        region_endpoint: https://s3.storage.example.com
        trusted_ca: s3-ca-bundle
        access_key: "{{ vault_s3_access_key }}"
        secret_key: "{{ vault_s3_secret_key }}"
    replicas: 2
    wait: true

- name: emptyDir for a lab cluster
  ocp.registry.integrated_registry:
    management_state: Managed
    storage:
      empty_dir: {}
    replicas: 1

- name: Remove the registry again
  ocp.registry.integrated_registry:
    management_state: Removed
    wait: true
"""

RETURN = r"""
config:
  description: The registry config's spec after the run (predicted in check mode), C(httpSecret) masked.
  returned: always
  type: dict
notes:
  description: What the run did beyond the options, such as removing an old storage backend's block.
  returned: always
  type: list
  elements: str
  sample: ["storage switched from s3 to pvc: the s3 block is removed"]
storage_credentials:
  description: Keys of the credentials Secret this run added or changed (names only, never values).
  returned: always
  type: dict
  sample: {"REGISTRY_STORAGE_S3_ACCESSKEY": "added", "REGISTRY_STORAGE_S3_SECRETKEY": "changed"}
pvc_created:
  description: Whether the run created (or in check mode would create) the claim.
  returned: always
  type: bool
conditions:
  description: The operator's conditions (type, status, reason, message).
  returned: always
  type: list
  elements: dict
  contains:
    type:
      description: The condition type.
      type: str
    status:
      description: V(True), V(False) or V(Unknown).
      type: str
    reason:
      description: Its reason.
      type: str
    message:
      description: Its message.
      type: str
rolled_out:
  description: Whether the operator reports the registry rolled out.
  returned: always
  type: bool
rolled_out_reason:
  description: Why it counts as rolled out, or the first sign missing.
  returned: always
  type: str
registry:
  description:
    - The registry's state afterwards, as M(ocp.registry.registry_info) reports it in its RV(registry) (management
      state, storage kind, replicas and ready replicas, rollout strategy, routes, rollout), so that a report needs
      no second read. No secret fields.
  returned: always
  type: dict
  contains:
    management_state:
      description: V(Managed), V(Removed) or V(Unmanaged).
      type: str
    storage:
      description: The storage backend; C(kind) is the backend name, V(none) or V(multiple).
      type: dict
    replicas:
      description: Desired replicas.
      type: int
    ready_replicas:
      description: Ready replicas the operator reports.
      type: int
    rolled_out:
      description: Whether the operator reports the registry rolled out.
      type: bool
hostnames:
  description: Internal and public hostnames.
  returned: always
  type: dict
  sample: {"internal": "image-registry.openshift-image-registry.svc:5000", "public": []}
wait:
  description: How the wait went, with each state the operator reported and when.
  returned: when O(wait) is true
  type: dict
  sample: {"waited": true, "elapsed": 12.5, "progress": [{"elapsed": 0.0, "state": "Progressing is True:
           DeploymentNotCompleted: The deployment has not completed"}, {"elapsed": 12.5, "state": "Ready: The registry is ready"}]}
  contains:
    waited:
      description: Whether the module waited.
      type: bool
    elapsed:
      description: Seconds waited.
      type: float
    progress:
      description: What the rollout reported while waiting, each C(elapsed) seconds and C(state).
      type: list
      elements: dict
    skipped:
      description: Why it did not wait, when it did not.
      type: str
conflicts_retried:
  description: How many times the operator's config changed between this task's read and its write, and was read again.
  returned: when the task got as far as writing
  type: int
api_requests:
  description: Requests sent to the API server.
  returned: always
  type: int
"""

import copy

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule
from ansible_collections.ocp.registry.plugins.module_utils.integrated.operator import Configurator, WaitFailed


def _strings(*names, **kinds):
    spec = dict((n, dict(type="str")) for n in names)
    for name in kinds.get("secrets", ()):
        spec[name] = dict(type="str", no_log=True)
    for name in kinds.get("references", ()):
        # names of things that hold secrets, not secrets themselves
        spec[name] = dict(type="str", no_log=False)
    return spec


def argument_spec():
    s3 = _strings("bucket", "region", "region_endpoint", "key_id", "trusted_ca", secrets=("access_key", "secret_key"))
    s3.update(encrypt=dict(type="bool"), virtual_hosted_style=dict(type="bool"), chunk_size_mib=dict(type="int"),
              cloud_front=dict(type="dict", options=_strings("base_url", "keypair_id", "duration",
                                                             references=("private_key_secret", "private_key_key"))))
    azure = _strings("account_name", "container", "cloud_name", secrets=("account_key",))
    azure["network_access"] = dict(type="dict", options=dict(
        type=dict(type="str", choices=["External", "Internal"]),
        internal=dict(type="dict", options=_strings("network_resource_group_name", "private_endpoint_name",
                                                    "subnet_name", "vnet_name"))))
    pvc = dict(claim=dict(type="str"), create=dict(type="bool", default=False), size=dict(type="str"),
               storage_class=dict(type="str"), access_mode=dict(type="str", choices=["ReadWriteMany", "ReadWriteOnce"]),
               volume_mode=dict(type="str", choices=["Filesystem", "Block"]))
    storage = dict(
        empty_dir=dict(type="dict"), pvc=dict(type="dict", options=pvc), s3=dict(type="dict", options=s3),
        gcs=dict(type="dict", options=_strings("bucket", "region", "project_id", "key_id", secrets=("key_file",))),
        azure=dict(type="dict", options=azure),
        swift=dict(type="dict", options=_strings("auth_url", "auth_version", "container", "domain", "domain_id",
                                                 "region_name", "tenant", "tenant_id", "username",
                                                 "application_credential_id", "application_credential_name",
                                                 secrets=("password", "application_credential_secret", "token_id"))),
        ibmcos=dict(type="dict", options=_strings("bucket", "location", "resource_group_name", "service_instance_crn",
                                                  secrets=("api_key",), references=("resource_key_crn",))),
    )
    levels = ["Normal", "Debug", "Trace", "TraceAll"]
    return dict(
        management_state=dict(type="str", choices=["Managed", "Removed", "Unmanaged"]),
        storage=dict(type="dict", options=storage),
        storage_management_state=dict(type="str", choices=["Managed", "Unmanaged"]),
        replicas=dict(type="int"),
        allow_empty_dir_replicas=dict(type="bool", default=False),
        rollout_strategy=dict(type="str", choices=["RollingUpdate", "Recreate"]),
        default_route=dict(type="bool"),
        routes=dict(type="list", elements="dict", options=dict(name=dict(type="str", required=True),
                                                               hostname=dict(type="str"),
                                                               secret_name=dict(type="str"))),
        node_selector=dict(type="dict"), tolerations=dict(type="list", elements="dict"), affinity=dict(type="dict"),
        resources=dict(type="dict"), disable_redirect=dict(type="bool"), read_only=dict(type="bool"),
        proxy=dict(type="dict", options=_strings("http", "https", "no_proxy")),
        log_level=dict(type="str", choices=levels), operator_log_level=dict(type="str", choices=levels),
        wait=dict(type="bool", default=False), wait_timeout=dict(type="int", default=600),
        wait_sleep=dict(type="float", default=1.0),
    )


def main():
    module = ClusterModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = copy.deepcopy(module.params)
    try:
        # the Configurator checks every option before its first request
        result = Configurator(module.client, params, module.check_mode).run()
    except WaitFailed as exc:
        partial = exc.result or {}
        # written before the wait: the config (and its Secret, its claim); changed says so
        module.fail_from(exc, changed=bool(partial.get("changed")), config=partial.get("config"),
                         notes=partial.get("notes", []), wait=dict(waited=True, progress=exc.progress))
    except OcpRegistryError as exc:
        module.fail_from(exc)
    module.exit_with(result)


if __name__ == "__main__":
    main()
