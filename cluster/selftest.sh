#!/usr/bin/env bash
# Real check of the local cluster (run as `scripts/local-cluster selftest`):
#   1. a claim on the default class `standard` binds when a pod uses it (WaitForFirstConsumer)
#   2. a non-root pod (65532, fsGroup 65532, restricted Pod Security, read-only root fs,
#      image localhost/agent-storage/workload:0.1.0 with IfNotPresent) writes a file to it
#   3. a second pod reads the same bytes
#   4. a pod that mounts the claim read-only (persistentVolumeClaim.readOnly and
#      volumeMounts.readOnly) fails to write with "Read-only file system"
#   5. deleting the claim deletes the volume (reclaim Delete) and its folder on the host
# Prints one line per check and "N passed, N failed"; exits non-zero if any failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$ROOT/cluster/versions.sh"

KCFG="$ROOT/.local-cluster/kubeconfig"
[ -f "$KCFG" ] || die "no $KCFG: run scripts/local-cluster up first"
KUBECTL="$CACHE/k8s/$K8S_VERSION/bin/kubectl"
[ -x "$KUBECTL" ] || KUBECTL="$(command -v kubectl || true)"
[ -x "$KUBECTL" ] || die "no kubectl (scripts/local-cluster build makes one)"
kc() { "$KUBECTL" --kubeconfig "$KCFG" "$@"; }

NS="lc-selftest"
PASS=0 FAIL=0
check() { # NAME CONDITION-RESULT(0/1) DETAIL
  if [ "$2" = 0 ]; then PASS=$((PASS + 1)); echo "ok   - $1${3:+: $3}"
  else FAIL=$((FAIL + 1)); echo "FAIL - $1${3:+: $3}"; fi
}
t0=$SECONDS

kc delete namespace "$NS" --ignore-not-found --wait=true >/dev/null 2>&1 || true
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: $NS}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources: {requests: {storage: 16Mi}}
EOF

# bare pods are refused until the namespace's default service account exists
for ((i = 0; i < 60; i++)); do kc -n "$NS" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.5; done

pod() { # NAME READONLY(true|false) SCRIPT
  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: $NS}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    fsGroup: 65532
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: main
    image: $WORKLOAD_IMAGE
    imagePullPolicy: IfNotPresent
    command: ["/bin/sh", "-c", $(printf '%s' "$3" | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read()))' 2>/dev/null || printf '"%s"' "$3")]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    volumeMounts:
    - {name: data, mountPath: /data/embeddings, readOnly: $2}
    - {name: tmp, mountPath: /tmp}
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data, readOnly: $2}
  - name: tmp
    emptyDir: {}
EOF
}

wait_done() { # NAME: wait until the pod finished; prints its phase
  local i phase=""
  for ((i = 0; i < 240; i++)); do
    phase="$(kc -n "$NS" get pod "$1" -o 'jsonpath={.status.phase}' 2>/dev/null || true)"
    case "$phase" in Succeeded|Failed) break ;; esac
    sleep 0.5
  done
  echo "$phase"
}

TOKEN="selftest-$(date +%s)-$RANDOM"
pod writer false "set -e; id; echo $TOKEN > /data/embeddings/probe.txt; cat /data/embeddings/probe.txt; if touch /etc/rootfs-probe 2>/dev/null; then echo ROOTFS-WRITABLE; fi; ls -ln /data/embeddings"
phase="$(wait_done writer)"
out="$(kc -n "$NS" logs writer 2>&1 || true)"
check "writer pod (uid 65532, restricted, read-only root fs) ran" "$([ "$phase" = Succeeded ]; echo $?)" "phase=$phase"
check "writer runs as uid 65532 gid 65532" "$(grep -q 'uid=65532.*gid=65532' <<<"$out"; echo $?)" "$(grep uid= <<<"$out" | head -1)"
check "writer wrote the file to the claim" "$(grep -qx "$TOKEN" <<<"$out"; echo $?)"
check "root file system is read-only" "$(! grep -q ROOTFS-WRITABLE <<<"$out"; echo $?)"
[ "$phase" = Succeeded ] || { echo "---- writer logs ----"; echo "$out"; kc -n "$NS" describe pod writer | tail -20; }

pvc_phase="$(kc -n "$NS" get pvc data -o 'jsonpath={.status.phase}')"
pv="$(kc -n "$NS" get pvc data -o 'jsonpath={.spec.volumeName}')"
check "claim on class standard is Bound" "$([ "$pvc_phase" = Bound ] && [ -n "$pv" ]; echo $?)" "phase=$pvc_phase volume=$pv"
if [ -n "$pv" ]; then
  rp="$(kc get pv "$pv" -o 'jsonpath={.spec.persistentVolumeReclaimPolicy} {.spec.storageClassName}')"
  check "volume has reclaim Delete and class standard" "$([ "$rp" = "Delete standard" ]; echo $?)" "$rp"
  hostdir="$(kc get pv "$pv" -o 'jsonpath={.spec.hostPath.path}{.spec.local.path}')"
fi

pod reader false "cat /data/embeddings/probe.txt"
phase="$(wait_done reader)"
out="$(kc -n "$NS" logs reader 2>&1 || true)"
check "second pod reads the same bytes" "$([ "$phase" = Succeeded ] && [ "$out" = "$TOKEN" ]; echo $?)" "read '$out'"

pod readonly true "cat /data/embeddings/probe.txt; if (echo x > /data/embeddings/ro-write.txt) 2>&1; then echo WROTE; exit 1; fi; exit 0"
phase="$(wait_done readonly)"
out="$(kc -n "$NS" logs readonly 2>&1 || true)"
check "read-only mount reads the file" "$(grep -qx "$TOKEN" <<<"$out"; echo $?)"
check "read-only mount refuses writes with 'Read-only file system'" \
  "$([ "$phase" = Succeeded ] && grep -q 'Read-only file system' <<<"$out" && ! grep -q WROTE <<<"$out"; echo $?)" \
  "$(grep -i 'read-only' <<<"$out" | head -1)"

# In-cluster clients (the refresher's ConfigMap publisher) reach the API server through the
# `kubernetes` Service: needs kube-proxy's rules and the API server on the node IP.
# (busybox's TLS client crashes on the API server's TLS, so speak plain HTTP to the TLS port:
# only a Go TLS server answers "Client sent an HTTP request to an HTTPS server".)
# shellcheck disable=SC2016 # the pod's shell expands these, not this one
pod apicheck true 'printf "GET /readyz HTTP/1.0\r\n\r\n" | nc -w 5 "$KUBERNETES_SERVICE_HOST" "$KUBERNETES_SERVICE_PORT"; echo; echo "via $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"'
phase="$(wait_done apicheck)"
out="$(kc -n "$NS" logs apicheck 2>&1 || true)"
check "a pod reaches the API server through the kubernetes Service" \
  "$([ "$phase" = Succeeded ] && grep -q 'HTTP request to an HTTPS server' <<<"$out"; echo $?)" "$(tr '\r\n' '  ' <<<"$out" | cut -c1-160)"

# Clean up: deleting the claim must delete the volume (reclaim Delete) and its host folder.
kc delete namespace "$NS" --wait=true >/dev/null
gone=1
if [ -n "$pv" ]; then
  for ((i = 0; i < 120; i++)); do
    kc get pv "$pv" >/dev/null 2>&1 || { gone=0; break; }
    sleep 0.5
  done
  check "deleting the claim deletes the volume" "$gone" "$pv"
  if [ -n "${hostdir:-}" ]; then
    check "volume folder removed from the host" "$([ ! -e "$hostdir" ]; echo $?)" "$hostdir"
  fi
fi

echo "selftest took $((SECONDS - t0))s"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
