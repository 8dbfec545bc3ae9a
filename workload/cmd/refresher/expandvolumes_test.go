package main

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"agent-storage/workload/internal/kubeapi/fakeapi"
)

const sharedPath = "agent-storage.dev/shared-path"

func TestExpandVolumesFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, exitUsage, "refresher expand-volumes: --provisioner is required"},
		{[]string{"--interval", "5s"}, exitUsage, "--provisioner is required"},
		{[]string{"--provisioner", sharedPath, "--interval", "0s"}, exitUsage, "--interval must be positive (got 0s)"},
		{[]string{"--provisioner", sharedPath, "--interval", "-1s"}, exitUsage, "--interval must be positive (got -1s)"},
		{[]string{"--provisioner", sharedPath, "--interval", "soon"}, exitUsage, `invalid value "soon" for flag -interval`},
		{[]string{"--provisioner", sharedPath, "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"--provisioner", sharedPath, "--embeddings", "/data"}, exitUsage, "flag provided but not defined: -embeddings"},
		// Outside a pod: no KUBERNETES_SERVICE_* (TestMain unsets them).
		{[]string{"--provisioner", sharedPath}, exitErr, "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set"},
	} {
		r := runCLI(append([]string{"expand-volumes"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("expand-volumes %v: exit %d, stderr %q; want exit %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
}

// The resizer as the sidecar runs it: it grows a claim, keeps going, and stops cleanly
// on SIGTERM.
func TestExpandVolumesGrowsAClaimAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	fc := newFakeCluster(t)
	fc.srv.Put(fakeapi.StorageClasses, map[string]any{"metadata": map[string]any{"name": "shared"}, "provisioner": sharedPath, "allowVolumeExpansion": true})
	fc.srv.Put(fakeapi.PersistentVolumeClaims, map[string]any{
		"metadata": map[string]any{"namespace": "agent", "name": "embeddings", "uid": "u1"},
		"spec": map[string]any{"storageClassName": "shared", "volumeName": "pvc-u1",
			"resources": map[string]any{"requests": map[string]any{"storage": "3Gi"}}},
		"status": map[string]any{"phase": "Bound", "capacity": map[string]any{"storage": "1Gi"}},
	})
	fc.srv.Put(fakeapi.PersistentVolumes, map[string]any{
		"metadata": map[string]any{"name": "pvc-u1", "annotations": map[string]any{"pv.kubernetes.io/provisioned-by": sharedPath}},
		"spec": map[string]any{"capacity": map[string]any{"storage": "1Gi"},
			"claimRef": map[string]any{"namespace": "agent", "name": "embeddings", "uid": "u1"}},
	})
	p := startEnv(t, fc.env, "expand-volumes", "--provisioner", sharedPath, "--interval", "50ms", "--serviceaccount-dir", fc.sa)
	waitFor(t, "the claim to grow", 5*time.Second, func() bool {
		return strings.Contains(p.stderr.String(), "expanded agent/embeddings (volume pvc-u1): 1Gi -> 3Gi")
	})
	// Rounds go on: the next list comes after the resize.
	n := len(fc.srv.Requests())
	waitFor(t, "another round", 5*time.Second, func() bool { return len(fc.srv.Requests()) > n })
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 5*time.Second); code != exitOK {
		t.Fatalf("exit %d on SIGTERM:\n%s", code, p.stderr.String())
	}
	log := p.stderr.String()
	if !strings.Contains(log, "resizer starting: growing the volumes of "+sharedPath) || !strings.Contains(log, "stopping (signal received)") ||
		strings.Count(log, "expanded ") != 1 {
		t.Fatalf("log:\n%s", log)
	}
	patches := 0
	for _, r := range fc.srv.Requests() {
		if r.Method == http.MethodPatch {
			patches++
		}
	}
	if patches != 2 {
		t.Fatalf("%d patches, want the volume's and the claim's status once each", patches)
	}
}
