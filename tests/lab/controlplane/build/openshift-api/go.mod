// OpenShift's API module at the tip of its release-4.21 branch: the lab installs the CRD manifests it generates.
module ocp.registry/lab/openshift-api

go 1.24.0

require github.com/openshift/api v0.0.0-20260710095909-1cb630ce7109
