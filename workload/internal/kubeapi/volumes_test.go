package kubeapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"agent-storage/workload/internal/kubeapi"
	"agent-storage/workload/internal/kubeapi/fakeapi"
)

func putVolumeObjects(srv *fakeapi.Server) {
	srv.Put(fakeapi.PersistentVolumeClaims, map[string]any{
		"metadata": map[string]any{"name": "embeddings", "namespace": "agent", "uid": "u-1"},
		"spec": map[string]any{"storageClassName": "shared", "volumeName": "pvc-u-1",
			"resources": map[string]any{"requests": map[string]any{"storage": "2Gi"}}},
		"status": map[string]any{"phase": "Bound", "capacity": map[string]any{"storage": "1Gi"}},
	})
	srv.Put(fakeapi.PersistentVolumeClaims, map[string]any{
		"metadata": map[string]any{"name": "other", "namespace": "b-team", "uid": "u-2"},
		"status":   map[string]any{"phase": "Pending"},
	})
	srv.Put(fakeapi.PersistentVolumes, map[string]any{
		"metadata": map[string]any{"name": "pvc-u-1", "annotations": map[string]any{"pv.kubernetes.io/provisioned-by": "p"}},
		"spec": map[string]any{"capacity": map[string]any{"storage": "1Gi"}, "hostPath": map[string]any{"path": "/x"},
			"claimRef": map[string]any{"namespace": "agent", "name": "embeddings", "uid": "u-1"}},
	})
	srv.Put(fakeapi.StorageClasses, map[string]any{"metadata": map[string]any{"name": "shared"}, "provisioner": "p", "allowVolumeExpansion": true})
}

func TestVolumeCallsReadWhatTheResizerNeeds(t *testing.T) {
	srv, c, _ := setup(t)
	putVolumeObjects(srv)
	claims, err := c.ListPersistentVolumeClaims(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 2 {
		t.Fatalf("claims %+v", claims)
	}
	cl := claims[0]
	if cl.Metadata.Namespace != "agent" || cl.Metadata.UID != "u-1" || *cl.Spec.StorageClassName != "shared" || cl.Spec.VolumeName != "pvc-u-1" ||
		cl.Spec.Resources.Requests["storage"] != "2Gi" || cl.Status.Phase != "Bound" || cl.Status.Capacity["storage"] != "1Gi" {
		t.Fatalf("claim %+v", cl)
	}
	if claims[1].Spec.StorageClassName != nil || claims[1].Status.Phase != "Pending" {
		t.Fatalf("claim without a class: %+v", claims[1])
	}
	pv, err := c.GetPersistentVolume(ctx(t), "pvc-u-1")
	if err != nil {
		t.Fatal(err)
	}
	if pv.Metadata.Annotations["pv.kubernetes.io/provisioned-by"] != "p" || pv.Spec.Capacity["storage"] != "1Gi" ||
		*pv.Spec.ClaimRef != (kubeapi.ObjectReference{Namespace: "agent", Name: "embeddings", UID: "u-1"}) {
		t.Fatalf("volume %+v", pv)
	}
	sc, err := c.GetStorageClass(ctx(t), "shared")
	if err != nil || sc.Provisioner != "p" || sc.AllowVolumeExpansion == nil || !*sc.AllowVolumeExpansion {
		t.Fatalf("class %+v, %v", sc, err)
	}
	paths := []string{}
	for _, r := range srv.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	if got := strings.Join(paths, ", "); got != "GET /api/v1/persistentvolumeclaims, GET /api/v1/persistentvolumes/pvc-u-1, GET /apis/storage.k8s.io/v1/storageclasses/shared" {
		t.Fatalf("requests: %s", got)
	}
	if _, err := c.GetStorageClass(ctx(t), "gone"); !kubeapi.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("missing class: %v", err)
	}
	if _, err := c.GetPersistentVolume(ctx(t), "gone"); !kubeapi.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("missing volume: %v", err)
	}
}

func TestVolumePatchesAreMergePatches(t *testing.T) {
	srv, c, _ := setup(t)
	putVolumeObjects(srv)
	if err := c.PatchPersistentVolume(ctx(t), "pvc-u-1", map[string]any{"spec": map[string]any{"capacity": map[string]any{"storage": "2Gi"}}}); err != nil {
		t.Fatal(err)
	}
	err := c.PatchPersistentVolumeClaimStatus(ctx(t), "agent", "embeddings", map[string]any{
		"status": map[string]any{"capacity": map[string]any{"storage": "2Gi"}}, "spec": map[string]any{"volumeName": "ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	rs := srv.Requests()
	if len(rs) != 2 || rs[0].Method != http.MethodPatch || rs[0].Path != "/api/v1/persistentvolumes/pvc-u-1" || rs[0].ContentType != "application/merge-patch+json" ||
		rs[1].Path != "/api/v1/namespaces/agent/persistentvolumeclaims/embeddings/status" || rs[1].ContentType != "application/merge-patch+json" {
		t.Fatalf("requests %+v", rs)
	}
	pv := srv.Get(fakeapi.PersistentVolumes, "", "pvc-u-1")
	spec := pv["spec"].(map[string]any)
	if spec["capacity"].(map[string]any)["storage"] != "2Gi" || spec["hostPath"] == nil {
		t.Fatalf("volume after the patch: %v", pv)
	}
	pvc := srv.Get(fakeapi.PersistentVolumeClaims, "agent", "embeddings")
	if pvc["status"].(map[string]any)["capacity"].(map[string]any)["storage"] != "2Gi" || pvc["spec"].(map[string]any)["volumeName"] != "pvc-u-1" {
		t.Fatalf("a status patch changes the status only: %v", pvc)
	}
}

func TestCreateEventNamesTheClaim(t *testing.T) {
	srv, c, _ := setup(t)
	err := c.CreateEvent(ctx(t), kubeapi.Event{
		InvolvedObject: kubeapi.ObjectReference{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "agent", Name: "embeddings", UID: "u-1"},
		Type:           "Normal", Reason: "VolumeResizeSuccessful", Message: "grown", Component: "resizer",
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := srv.Requests()
	if len(rs) != 1 || rs[0].Method != http.MethodPost || rs[0].Path != "/api/v1/namespaces/agent/events" || rs[0].ContentType != "application/json" {
		t.Fatalf("requests %+v", rs)
	}
	var ev struct {
		Kind, Type, Reason, Message   string
		FirstTimestamp, LastTimestamp string
		Count                         int
		Metadata                      struct{ GenerateName, Namespace string }
		InvolvedObject                kubeapi.ObjectReference
		Source                        struct{ Component string }
	}
	if err := json.Unmarshal(rs[0].Body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != "Event" || ev.Type != "Normal" || ev.Reason != "VolumeResizeSuccessful" || ev.Message != "grown" || ev.Count != 1 ||
		ev.FirstTimestamp == "" || ev.LastTimestamp != ev.FirstTimestamp || ev.Metadata.GenerateName != "embeddings." || ev.Metadata.Namespace != "agent" ||
		ev.InvolvedObject.UID != "u-1" || ev.InvolvedObject.Kind != "PersistentVolumeClaim" || ev.Source.Component != "resizer" {
		t.Fatalf("event %s", rs[0].Body)
	}
	if got := srv.List(fakeapi.Events); len(got) != 1 {
		t.Fatalf("stored events %v", got)
	}
}

// A 403 names the rule the call needs, not the ConfigMap rules of the publisher.
func TestForbiddenVolumeCallsNameTheirRule(t *testing.T) {
	srv, c, _ := setup(t)
	srv.SetHook(func(fakeapi.Request) (int, string, string) { return http.StatusForbidden, "Forbidden", "no" })
	calls := map[string]error{}
	_, calls["list on persistentvolumeclaims"] = c.ListPersistentVolumeClaims(ctx(t))
	_, calls["get on persistentvolumes"] = c.GetPersistentVolume(ctx(t), "v")
	_, calls["get on storageclasses (API group storage.k8s.io)"] = c.GetStorageClass(ctx(t), "s")
	calls["patch on persistentvolumes"] = c.PatchPersistentVolume(ctx(t), "v", map[string]any{})
	calls["patch on persistentvolumeclaims/status in namespace agent"] = c.PatchPersistentVolumeClaimStatus(ctx(t), "agent", "c", map[string]any{})
	calls["create on events in namespace agent"] = c.CreateEvent(ctx(t), kubeapi.Event{InvolvedObject: kubeapi.ObjectReference{Namespace: "agent", Name: "c"}})
	for rule, err := range calls {
		if !kubeapi.IsStatus(err, http.StatusForbidden) || !strings.Contains(err.Error(), "check the ClusterRole and ClusterRoleBinding for this pod's service account") ||
			!strings.Contains(err.Error(), "it needs "+rule) || strings.Contains(err.Error(), "configmaps") {
			t.Errorf("%s: %v", rule, err)
		}
	}
}

// A list cut off at the read limit would decode as garbage or not at all: it is refused
// by name.
func TestAResponseBeyondTheReadLimitIsRefused(t *testing.T) {
	srv, c, _ := setup(t)
	srv.Put(fakeapi.PersistentVolumeClaims, map[string]any{
		"metadata": map[string]any{"name": "big", "namespace": "agent", "annotations": map[string]any{"note": strings.Repeat("x", 1<<20)}},
	})
	_, err := c.ListPersistentVolumeClaims(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "GET /api/v1/persistentvolumeclaims: the response is larger than 1048576 bytes") {
		t.Fatalf("err %v", err)
	}
}
