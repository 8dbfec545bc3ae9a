#!/usr/bin/env bash
# Builds the kind node image $KIND_NODE_IMAGE without any registry, from Debian's packages and
# Go modules, and leaves it in the local Docker daemon (scripts/docker up starts one):
#
#   1. Kubernetes binaries incl. kubeadm and local-path-provisioner (cluster/build-k8s.sh);
#   2. the images kubeadm will ask for (`kubeadm config images list`): control plane, etcd and
#      CoreDNS built from their Go modules at exactly the versions kubeadm names, pause from
#      images/pause, kube-proxy on a small Debian root with iptables; plus the provisioner
#      and the workload image (scripts/build-image). Written as archives by images/ociarchive;
#   3. the node's root file system: Debian bookworm (mmdebstrap) with systemd, containerd,
#      runc, CNI plugins and the tools kind's own base image carries, this project's node
#      files (cluster/node-image: entrypoint, units, containerd config, pod network loop) and
#      the archives above, imported into containerd when a node boots;
#   4. `docker import` with kind's entrypoint, env and stop signal.
#
# Every step is cached under $CACHE/node-image and skipped when its inputs did not change;
# the image carries a label with the hash of all inputs, so an unchanged image is not
# imported again. Prints each step and how long it took.
#
#   cluster/build-node-image.sh           build if needed; print the image reference
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$ROOT/cluster/versions.sh"

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
W="$CACHE/node-image"
DEBIAN_SOURCES=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)
# What kind's base image carries, as Debian names it, plus containerd, runc and CNI plugins.
NODE_PACKAGES=(systemd systemd-sysv dbus containerd runc containernetworking-plugins iptables
  nftables conntrack iproute2 ethtool util-linux mount kmod libseccomp2 pigz fuse-overlayfs
  e2fsprogs bash ca-certificates curl jq procps socat)
PROXY_PACKAGES=(iptables conntrack)
NODE_FILES="$ROOT/cluster/node-image"

need_cmd docker "Run scripts/docker up first."
docker info >/dev/null 2>&1 || die "no Docker daemon answers. Run scripts/docker up first."
[ "$(id -u)" = 0 ] || die "building the node image needs root (mmdebstrap --mode=root)"
apt_install mmdebstrap
mkdir -p "$W/bin" "$W/images"

hash_of() { sha256sum | cut -c1-16; }

# mmdebstrap_dir NAME VARIANT PACKAGE...: a cached Debian root in $W/NAME-<hash>.
mmdebstrap_dir() {
  local name="$1" variant="$2"; shift 2
  local h dir
  h="$(printf '%s\n' "$variant" "$@" "${DEBIAN_SOURCES[@]}" | hash_of)"
  dir="$W/$name-$h"
  if [ ! -f "$dir.done" ]; then
    rm -rf "$dir" "$W/$name-"*
    local list; list="$(IFS=,; echo "$*")"
    mmdebstrap --quiet --variant="$variant" --mode=root --format=directory \
      --aptopt='Acquire::Check-Valid-Until "false"' --include="$list" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      bookworm "$dir" "${DEBIAN_SOURCES[@]}" >&2 || die "mmdebstrap $name failed"
    touch "$dir.done"
  fi
  echo "$dir"
}

# go_build_module OUT MODULE@VERSION PACKAGE: builds PACKAGE of a module that may carry
# replace directives (which `go install m@v` refuses) through a throwaway main module.
go_build_module() {
  local out="$1" modver="$2" pkg="$3"
  [ -x "$out" ] && return 0
  local src="$W/src/${out##*/}"
  rm -rf "$src"; mkdir -p "$src"
  (cd "$src" && "$GO" mod init agent-storage.local/build >/dev/null 2>&1 \
    && GOFLAGS=-mod=mod "$GO" get "$modver" >/dev/null \
    && CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 10 "$GO" build -trimpath -ldflags "-s -w" -o "$out.tmp" "$pkg") \
    || die "go build of $pkg ($modver) failed"
  mv "$out.tmp" "$out"
}

# image_archive REF TAR ROOTFS [ociarchive flags...]
image_archive() {
  local ref="$1" tar="$2" rootfs="$3"; shift 3
  "$OCIARCHIVE" -rootfs "$rootfs" -name "$ref" -out "$tar.tmp" "$@" >/dev/null || die "ociarchive $ref failed"
  mv "$tar.tmp" "$tar"
}

binary_image() { # REF TAR BINARY NAME_IN_IMAGE: one static binary in /usr/local/bin
  local ref="$1" tar="$2" bin="$3" name="$4" stage="$W/stage-image"
  rm -rf "$stage"; mkdir -p "$stage/usr/local/bin" "$stage/tmp" "$stage/etc"
  chmod 1777 "$stage/tmp"
  cp "$bin" "$stage/usr/local/bin/$name"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$stage/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"
  image_archive "$ref" "$tar" "$stage" -entrypoint "[\"/usr/local/bin/$name\"]" \
    -env PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
}

build_binaries() {
  K8S_BIN="$(cluster/build-k8s.sh)"
  mapfile -t KUBEADM_IMAGES < <("$K8S_BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null)
  [ ${#KUBEADM_IMAGES[@]} -ge 6 ] || die "kubeadm config images list gave: ${KUBEADM_IMAGES[*]}"
  local ref tag
  for ref in "${KUBEADM_IMAGES[@]}"; do
    tag="${ref##*:}"
    case "$ref" in
      */etcd:*)
        ETCD_VERSION="v${tag%-*}"
        step "build etcd $ETCD_VERSION (go.etcd.io/etcd/server/v3)" \
          go_build_module "$W/bin/etcd-$ETCD_VERSION" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" go.etcd.io/etcd/server/v3 ;;
      */coredns:*)
        COREDNS_VERSION="$tag"
        step "build CoreDNS $COREDNS_VERSION (github.com/coredns/coredns)" \
          go_build_module "$W/bin/coredns-$COREDNS_VERSION" "github.com/coredns/coredns@$COREDNS_VERSION" github.com/coredns/coredns ;;
    esac
  done
  "$ROOT/scripts/build-image" >&2
  OCIARCHIVE="$CACHE/images/bin/ociarchive"
  build_go_tool runc-capdrop
}

# fresh TAR INPUT...: true when TAR was written from exactly these inputs (files are hashed,
# other words taken as they are); otherwise records them for `made TAR` and returns false.
fresh() {
  local tar="$1" arg; shift
  PENDING_KEY="$( { cat "$0"; for arg in "$@"; do if [ -f "$arg" ]; then sha256sum "$arg" | cut -c1-64; else echo "$arg"; fi; done; } | hash_of)"
  [ -f "$tar" ] && [ "$(cat "$tar.key" 2>/dev/null)" = "$PENDING_KEY" ]
}
made() { echo "$PENDING_KEY" > "$1.key"; }

# One archive per image, each rebuilt only when its own inputs changed.
build_images() {
  PAUSE_REF="$(printf '%s\n' "${KUBEADM_IMAGES[@]}" | grep '/pause:')" || die "kubeadm listed no pause image"
  local ref tar name stage built=0
  for ref in "${KUBEADM_IMAGES[@]}"; do
    name="${ref##*/}"; name="${name%%:*}"
    tar="$W/images/$name.tar"
    case "$name" in
      kube-apiserver|kube-controller-manager|kube-scheduler)
        fresh "$tar" "$ref" "$OCIARCHIVE" "$K8S_BIN/$name" && continue
        binary_image "$ref" "$tar" "$K8S_BIN/$name" "$name" ;;
      etcd)
        fresh "$tar" "$ref" "$OCIARCHIVE" "$W/bin/etcd-$ETCD_VERSION" && continue
        binary_image "$ref" "$tar" "$W/bin/etcd-$ETCD_VERSION" etcd ;;
      coredns)
        fresh "$tar" "$ref" "$OCIARCHIVE" "$W/bin/coredns-$COREDNS_VERSION" && continue
        stage="$W/stage-image"
        rm -rf "$stage"; mkdir -p "$stage/etc"
        cp "$W/bin/coredns-$COREDNS_VERSION" "$stage/coredns"
        printf 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$stage/etc/passwd"
        image_archive "$ref" "$tar" "$stage" -entrypoint '["/coredns"]' ;;
      pause)
        fresh "$tar" "$ref" "$OCIARCHIVE" "$("$GO" version)" "$ROOT"/images/pause/*.go && continue
        stage="$W/stage-image"
        rm -rf "$stage"; mkdir -p "$stage"
        (cd "$ROOT/images" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$stage/pause" ./pause)
        image_archive "$ref" "$tar" "$stage" -entrypoint '["/pause"]' ;;
      kube-proxy)
        local root; root="$(mmdebstrap_dir proxy-root essential "${PROXY_PACKAGES[@]}")"
        fresh "$tar" "$ref" "$OCIARCHIVE" "$K8S_BIN/kube-proxy" "$root" && continue
        stage="$W/stage-proxy"
        rm -rf "$stage"; cp -a "$root" "$stage"
        cp "$K8S_BIN/kube-proxy" "$stage/usr/local/bin/kube-proxy"
        image_archive "$ref" "$tar" "$stage" -entrypoint '["/usr/local/bin/kube-proxy"]' \
          -env PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ;;
      *) die "kubeadm asks for an image this script does not know how to build: $ref" ;;
    esac
    made "$tar"; built=$((built + 1))
  done
  tar="$W/images/local-path-provisioner.tar"
  if ! fresh "$tar" "$LPP_IMAGE" "$OCIARCHIVE" "$K8S_BIN/local-path-provisioner"; then
    binary_image "$LPP_IMAGE" "$tar" "$K8S_BIN/local-path-provisioner" local-path-provisioner
    made "$tar"; built=$((built + 1))
  fi
  cp "$CACHE/images/workload-0.1.0.tar" "$W/images/workload.tar"
  log "component images: $built built, the others unchanged"
}

assemble() {
  local base stage="$W/stage-node"
  base="$(mmdebstrap_dir node-root minbase "${NODE_PACKAGES[@]}")"
  rm -rf "$stage"; cp -a "$base" "$stage"
  install -m 0755 "$NODE_FILES/entrypoint" "$stage/usr/local/bin/entrypoint"
  mkdir -p "$stage/kind/bin" "$stage/kind/images" "$stage/kind/manifests" "$stage/etc/kubernetes/manifests" \
    "$stage/etc/systemd/system/containerd.service.d" "$stage/etc/containerd" "$stage/etc/cni/net.d"
  install -m 0755 "$NODE_FILES/node-cni" "$NODE_FILES/import-images" "$stage/kind/bin/"
  install -m 0755 "$CACHE/bin/runc-capdrop" "$stage/usr/local/sbin/runc-capdrop"
  local b
  for b in kubeadm kubelet kubectl; do install -m 0755 "$K8S_BIN/$b" "$stage/usr/bin/$b"; done
  cp "$NODE_FILES"/systemd/*.service "$NODE_FILES"/systemd/*.slice "$stage/etc/systemd/system/"
  cp "$NODE_FILES/systemd/containerd-override.conf" "$stage/etc/systemd/system/containerd.service.d/10-node.conf"
  sed "s#@PAUSE_IMAGE@#$PAUSE_REF#" "$NODE_FILES/containerd.toml" > "$stage/etc/containerd/config.toml"
  # kind's containerd.service looks for /usr/local/bin/containerd; Debian's is in /usr/bin.
  ln -sf /usr/bin/containerd "$stage/usr/local/bin/containerd"
  printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\n' > "$stage/etc/crictl.yaml"
  echo "$K8S_VERSION" > "$stage/kind/version"
  cp "$W"/images/*.tar "$stage/kind/images/"
  cp "$NODE_FILES/manifests/default-cni.yaml" "$stage/kind/manifests/default-cni.yaml"
  { sed -e "s#@VOLUMES@#$KIND_LOCAL_PATH_DIR#g" -e "s#@HELPER_IMAGE@#$WORKLOAD_IMAGE#g" "$ROOT/cluster/manifests/storage.yaml"
    echo "---"
    sed -e "s#@PROVISIONER_IMAGE@#$LPP_IMAGE#g" -e "s#@HELPER_IMAGE@#$WORKLOAD_IMAGE#g" "$NODE_FILES/manifests/local-path-provisioner.yaml"
  } > "$stage/kind/manifests/default-storage.yaml"
  local unit
  for unit in containerd kubelet kind-images node-cni; do
    chroot "$stage" systemctl enable "$unit.service" >/dev/null 2>&1 || die "systemctl enable $unit failed"
  done
  # binfmt registration is the host's business, not a node's.
  chroot "$stage" systemctl mask systemd-binfmt.service >/dev/null 2>&1 || true
  mkdir -p "$stage/etc/systemd/system.conf.d"
  printf '[Manager]\nShowStatus=yes\n' > "$stage/etc/systemd/system.conf.d/10-show-status.conf"
  rm -f "$stage/etc/machine-id"; touch "$stage/etc/machine-id"
}

import_image() {
  local inputs="$1" base="$KIND_NODE_IMAGE-root"
  tar -C "$W/stage-node" --numeric-owner -c . | docker import - "$base" >/dev/null || die "docker import failed"
  # `docker import --change` knows no STOPSIGNAL; a two-line build on top of the imported
  # root (no context, nothing pulled) sets what kind's image sets.
  printf '%s\n' "FROM $base" 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' 'ENV container=docker' \
    'STOPSIGNAL SIGRTMIN+3' "LABEL io.agent-storage.inputs=$inputs" \
    | DOCKER_BUILDKIT=0 docker build -q -t "$KIND_NODE_IMAGE" - >/dev/null 2>&1 || die "docker build of $KIND_NODE_IMAGE failed"
  docker rmi "$base" >/dev/null 2>&1 || true
}

main() {
  local start=$SECONDS
  step "binaries (Kubernetes, etcd, CoreDNS, images/)" build_binaries
  step "component images" build_images
  local inputs
  inputs="$( { printf '%s\n' "${NODE_PACKAGES[@]}" "$KIND_NODE_IMAGE"; sha256sum "$W"/images/*.tar "$CACHE/bin/runc-capdrop" \
    "$K8S_BIN"/{kubeadm,kubelet,kubectl} | cut -c1-64; find "$NODE_FILES" "$ROOT/cluster/manifests" -type f -print0 | sort -z | xargs -0 sha256sum; } | hash_of)"
  if [ "$(docker image inspect -f '{{index .Config.Labels "io.agent-storage.inputs"}}' "$KIND_NODE_IMAGE" 2>/dev/null)" = "$inputs" ]; then
    log "$KIND_NODE_IMAGE is up to date (inputs $inputs)"
  else
    step "node root file system" assemble
    step "docker import $KIND_NODE_IMAGE" import_image "$inputs"
    rm -rf "$W/stage-node" "$W/stage-proxy" "$W/stage-image"
  fi
  log "node image ready in $((SECONDS - start))s: $KIND_NODE_IMAGE ($(docker image inspect -f '{{.Size}}' "$KIND_NODE_IMAGE" | numfmt --to=iec))"
  echo "$KIND_NODE_IMAGE"
}

main "$@"
