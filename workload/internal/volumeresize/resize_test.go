package volumeresize

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"agent-storage/workload/internal/kubeapi"
	"agent-storage/workload/internal/kubeapi/fakeapi"
)

// lines collects what the resizer logs.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, fmt.Sprintf(format, args...))
}

func (l *lines) String() string { l.mu.Lock(); defer l.mu.Unlock(); return strings.Join(l.l, "\n") }

func (l *lines) count(sub string) int { return strings.Count(l.String(), sub) }

// cluster starts a fake API server holding a claim of the shared class that asks for
// 2Gi on a 1Gi volume of the provisioner, a bound claim of another provisioner's class
// and a pending claim, and returns a resizer talking to it.
func cluster(t *testing.T) (*fakeapi.Server, *Resizer, *lines) {
	t.Helper()
	srv, sa := fakeapi.Start(t, "shared-path-storage", "token")
	c, err := kubeapi.InCluster(sa)
	if err != nil {
		t.Fatal(err)
	}
	putClaim(srv, "agent", "embeddings", "uid-1", "shared", "2Gi", "1Gi")
	putVolume(srv, "pvc-uid-1", prov, "1Gi", "agent", "embeddings", "uid-1")
	putClaim(srv, "agent", "cache", "uid-2", "gp3", "9Gi", "1Gi")
	srv.Put(fakeapi.PersistentVolumeClaims, map[string]any{
		"metadata": map[string]any{"namespace": "agent", "name": "later", "uid": "uid-3"},
		"spec":     map[string]any{"storageClassName": "shared", "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}}},
		"status":   map[string]any{"phase": "Pending"},
	})
	srv.Put(fakeapi.StorageClasses, map[string]any{"metadata": map[string]any{"name": "shared"}, "provisioner": prov, "allowVolumeExpansion": true})
	srv.Put(fakeapi.StorageClasses, map[string]any{"metadata": map[string]any{"name": "gp3"}, "provisioner": "ebs.csi.aws.com", "allowVolumeExpansion": true})
	l := &lines{}
	return srv, &Resizer{Client: c, Provisioner: prov, Logf: l.logf}, l
}

func putClaim(srv *fakeapi.Server, ns, name, uid, class, request, capacity string) {
	srv.Put(fakeapi.PersistentVolumeClaims, map[string]any{
		"metadata": map[string]any{"namespace": ns, "name": name, "uid": uid},
		"spec": map[string]any{"storageClassName": class, "volumeName": "pvc-" + uid,
			"resources": map[string]any{"requests": map[string]any{"storage": request}}},
		"status": map[string]any{"phase": "Bound", "capacity": map[string]any{"storage": capacity},
			"conditions": []any{map[string]any{"type": "Resizing", "status": "True"}}},
	})
}

func putVolume(srv *fakeapi.Server, name, provisionedBy, capacity, ns, claim, uid string) {
	srv.Put(fakeapi.PersistentVolumes, map[string]any{
		"metadata": map[string]any{"name": name, "annotations": map[string]any{ProvisionedBy: provisionedBy}},
		"spec": map[string]any{"capacity": map[string]any{"storage": capacity}, "hostPath": map[string]any{"path": "/shared/" + name},
			"claimRef": map[string]any{"kind": "PersistentVolumeClaim", "namespace": ns, "name": claim, "uid": uid}},
	})
}

func roundCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func calls(rs []fakeapi.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Method + " " + r.Path
	}
	return out
}

func writes(rs []fakeapi.Request) []fakeapi.Request {
	var out []fakeapi.Request
	for _, r := range rs {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

// get digs a value out of a stored object by a dotted path.
func get(o map[string]any, path string) any {
	var v any = o
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestRoundGrowsTheVolumeThenTheClaimThenRecordsAnEvent(t *testing.T) {
	srv, r, log := cluster(t)
	if err := r.Round(roundCtx(t)); err != nil {
		t.Fatal(err)
	}
	rs := srv.Requests()
	want := []string{
		"GET /api/v1/persistentvolumeclaims",
		"GET /apis/storage.k8s.io/v1/storageclasses/gp3",
		"GET /apis/storage.k8s.io/v1/storageclasses/shared",
		"GET /api/v1/persistentvolumes/pvc-uid-1",
		"PATCH /api/v1/persistentvolumes/pvc-uid-1",
		"PATCH /api/v1/namespaces/agent/persistentvolumeclaims/embeddings/status",
		"POST /api/v1/namespaces/agent/events",
	}
	if got := calls(rs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	w := writes(rs)
	if w[0].ContentType != "application/merge-patch+json" || string(w[0].Body) != `{"spec":{"capacity":{"storage":"2Gi"}}}` {
		t.Errorf("volume patch %s %s", w[0].ContentType, w[0].Body)
	}
	if w[1].ContentType != "application/merge-patch+json" || string(w[1].Body) !=
		`{"metadata":{"uid":"uid-1"},"status":{"allocatedResourceStatuses":null,"allocatedResources":{"storage":"2Gi"},"capacity":{"storage":"2Gi"},"conditions":null}}` {
		t.Errorf("claim status patch %s %s", w[1].ContentType, w[1].Body)
	}
	var ev struct {
		Type, Reason, Message string
		InvolvedObject        kubeapi.ObjectReference
		Source                struct{ Component string }
	}
	if err := json.Unmarshal(w[2].Body, &ev); err != nil {
		t.Fatal(err)
	}
	wantRef := kubeapi.ObjectReference{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "agent", Name: "embeddings", UID: "uid-1"}
	if ev.Type != "Normal" || ev.Reason != "VolumeResizeSuccessful" || ev.InvolvedObject != wantRef || ev.Source.Component != "agent-storage-resizer" ||
		!strings.Contains(ev.Message, "pvc-uid-1") || !strings.Contains(ev.Message, "from 1Gi to 2Gi") {
		t.Errorf("event %s", w[2].Body)
	}

	pv := srv.Get(fakeapi.PersistentVolumes, "", "pvc-uid-1")
	pvc := srv.Get(fakeapi.PersistentVolumeClaims, "agent", "embeddings")
	if get(pv, "spec.capacity.storage") != "2Gi" || get(pvc, "status.capacity.storage") != "2Gi" || get(pvc, "status.allocatedResources.storage") != "2Gi" ||
		get(pvc, "status.conditions") != nil || get(pvc, "status.phase") != "Bound" {
		t.Errorf("after the round: volume %v, claim %v", pv, pvc)
	}
	if got := log.String(); got != "expanded agent/embeddings (volume pvc-uid-1): 1Gi -> 2Gi" {
		t.Errorf("log %q", got)
	}
	if get(srv.Get(fakeapi.PersistentVolumeClaims, "agent", "cache"), "status.capacity.storage") != "1Gi" {
		t.Error("the claim of another provisioner's class was changed")
	}

	// The next round finds nothing to do: reads only.
	if err := r.Round(roundCtx(t)); err != nil {
		t.Fatal(err)
	}
	if w := writes(srv.Requests()[len(rs):]); len(w) != 0 {
		t.Fatalf("second round wrote: %v", calls(w))
	}
}

// A round that stopped after the volume patch: the next one patches the claim's status
// only.
func TestRoundFinishesAClaimWhoseVolumeIsAlreadyGrown(t *testing.T) {
	srv, r, log := cluster(t)
	putVolume(srv, "pvc-uid-1", prov, "2Gi", "agent", "embeddings", "uid-1")
	if err := r.Round(roundCtx(t)); err != nil {
		t.Fatal(err)
	}
	got := calls(writes(srv.Requests()))
	if strings.Join(got, ", ") != "PATCH /api/v1/namespaces/agent/persistentvolumeclaims/embeddings/status, POST /api/v1/namespaces/agent/events" {
		t.Fatalf("writes: %v", got)
	}
	if get(srv.Get(fakeapi.PersistentVolumeClaims, "agent", "embeddings"), "status.capacity.storage") != "2Gi" || log.count("expanded agent/embeddings") != 1 {
		t.Fatalf("claim %v, log %s", srv.Get(fakeapi.PersistentVolumeClaims, "agent", "embeddings"), log)
	}
}

func TestAFailedEventIsLoggedAndTheResizeStands(t *testing.T) {
	srv, r, log := cluster(t)
	srv.SetHook(func(q fakeapi.Request) (int, string, string) {
		if q.Method == http.MethodPost {
			return http.StatusForbidden, "Forbidden", "events is forbidden"
		}
		return 0, "", ""
	})
	if err := r.Round(roundCtx(t)); err != nil {
		t.Fatalf("an Event that fails must not fail the round: %v", err)
	}
	if get(srv.Get(fakeapi.PersistentVolumeClaims, "agent", "embeddings"), "status.capacity.storage") != "2Gi" ||
		log.count("expanded agent/embeddings") != 1 || log.count("warning: no Event for agent/embeddings: ") != 1 || log.count("create on events in namespace agent") != 1 {
		t.Fatalf("log:\n%s", log)
	}
}

// One claim that fails leaves the others to grow; the round's error names it.
func TestAClaimThatFailsDoesNotHoldBackTheOthers(t *testing.T) {
	srv, r, log := cluster(t)
	putClaim(srv, "b-team", "data", "uid-4", "shared", "3Gi", "1Gi")
	putVolume(srv, "pvc-uid-4", prov, "1Gi", "b-team", "data", "uid-4")
	srv.SetHook(func(q fakeapi.Request) (int, string, string) {
		if q.Path == "/api/v1/persistentvolumes/pvc-uid-1" && q.Method == http.MethodPatch {
			return http.StatusForbidden, "Forbidden", "no"
		}
		return 0, "", ""
	})
	err := r.Round(roundCtx(t))
	if err == nil || !strings.Contains(err.Error(), "agent/embeddings: PATCH /api/v1/persistentvolumes/pvc-uid-1: 403") || !strings.Contains(err.Error(), "it needs patch on persistentvolumes") {
		t.Fatalf("err %v", err)
	}
	if get(srv.Get(fakeapi.PersistentVolumeClaims, "b-team", "data"), "status.capacity.storage") != "3Gi" || log.count("expanded b-team/data (volume pvc-uid-4): 1Gi -> 3Gi") != 1 {
		t.Fatalf("the other claim: %v\nlog:\n%s", srv.Get(fakeapi.PersistentVolumeClaims, "b-team", "data"), log)
	}
	if get(srv.Get(fakeapi.PersistentVolumeClaims, "agent", "embeddings"), "status.capacity.storage") != "1Gi" {
		t.Fatal("the status of a claim whose volume did not grow changed")
	}
}

// A claim deleted and made again under the same name between the list and the patch is
// not given the old one's size: the uid in the status patch does not match.
func TestTheStatusPatchIsForTheClaimThatWasListed(t *testing.T) {
	srv, r, _ := cluster(t)
	grow, _ := Plan(prov, mustList(t, r), mustClasses(t, r), map[string]*kubeapi.PersistentVolume{"pvc-uid-1": mustVolume(t, r, "pvc-uid-1")})
	if len(grow) != 1 {
		t.Fatalf("grow %+v", grow)
	}
	putClaim(srv, "agent", "embeddings", "uid-9", "shared", "1Gi", "1Gi")
	err := r.Apply(roundCtx(t), grow[0])
	if !kubeapi.IsStatus(err, http.StatusUnprocessableEntity) {
		t.Fatalf("err %v", err)
	}
	if get(srv.Get(fakeapi.PersistentVolumeClaims, "agent", "embeddings"), "status.capacity.storage") != "1Gi" {
		t.Fatal("the new claim got the old one's size")
	}
}

func mustList(t *testing.T, r *Resizer) []kubeapi.PersistentVolumeClaim {
	c, err := r.Client.ListPersistentVolumeClaims(roundCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustClasses(t *testing.T, r *Resizer) map[string]*kubeapi.StorageClass {
	sc, err := r.Client.GetStorageClass(roundCtx(t), "shared")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*kubeapi.StorageClass{"shared": sc}
}

func mustVolume(t *testing.T, r *Resizer, name string) *kubeapi.PersistentVolume {
	pv, err := r.Client.GetPersistentVolume(roundCtx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return pv
}

func TestAStuckClaimIsLoggedOncePerReason(t *testing.T) {
	srv, r, log := cluster(t)
	putVolume(srv, "pvc-uid-1", "kubernetes.io/no-provisioner", "1Gi", "agent", "embeddings", "uid-1")
	for i := 0; i < 3; i++ {
		if err := r.Round(roundCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if n := log.count("not expanding agent/embeddings: volume pvc-uid-1 was not made by " + prov); n != 1 || log.count("\n") != 0 {
		t.Fatalf("logged %d times:\n%s", n, log)
	}
	if w := writes(srv.Requests()); len(w) != 0 {
		t.Fatalf("a static volume was written to: %v", calls(w))
	}
}

// A round that fails is logged and the loop goes on; the loop ends with its context.
func TestRunGoesOnAfterAFailedRoundAndStopsWithItsContext(t *testing.T) {
	srv, r, log := cluster(t)
	var mu sync.Mutex
	failed := 0
	srv.SetHook(func(q fakeapi.Request) (int, string, string) {
		mu.Lock()
		defer mu.Unlock()
		if q.Path == "/api/v1/persistentvolumeclaims" && failed < 2 {
			failed++
			return http.StatusServiceUnavailable, "ServiceUnavailable", "etcd is away"
		}
		return 0, "", ""
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx, 5*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for log.count("expanded agent/embeddings") == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if log.count("round failed: GET /api/v1/persistentvolumeclaims: 503") != 2 || log.count("expanded agent/embeddings (volume pvc-uid-1): 1Gi -> 2Gi") != 1 {
		t.Fatalf("log:\n%s", log)
	}
}
