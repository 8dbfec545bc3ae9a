# shellcheck shell=bash disable=SC2034 # the scripts that source this file use the variables
# Pinned versions of everything scripts/local-cluster builds or runs. Sourced.
# Kubernetes 1.34: the last minor whose kubelet runs on cgroup v1 without opting out
# (failCgroupV1 defaults to false; 1.35 flips that default to true). See docs/local-cluster.md.
K8S_VERSION="v1.34.4"
# github.com/rancher/local-path-provisioner: the provisioner behind kind's `standard` class.
LPP_VERSION="v0.0.30"

# Where the cluster keeps its data (see docs/local-cluster.md for why not the work tree).
LC_STATE="${LOCAL_CLUSTER_STATE:-/var/lib/agent-storage-cluster}"
LC_CONTAINERD_SOCK="$LC_STATE/run/containerd/containerd.sock"
# Images built by scripts/build-image.
WORKLOAD_IMAGE="localhost/agent-storage/workload:0.1.0"
PAUSE_IMAGE="localhost/agent-storage/pause:1.0"
# The kind node image cluster/build-node-image.sh builds from the pieces above.
KIND_NODE_IMAGE="localhost/agent-storage/kind-node:$K8S_VERSION"
# The provisioner image both the node image and the program refer to, built here from the
# same Go module version (no registry is reachable to pull it from).
LPP_IMAGE="docker.io/rancher/local-path-provisioner:$LPP_VERSION"
# Where a kind node keeps the `standard` class's volumes (the program mounts a host folder
# there: components/cluster/kindConfig.ts localPathDir, checked against this by its tests).
KIND_LOCAL_PATH_DIR="/var/local-path-provisioner"
