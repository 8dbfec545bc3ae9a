package volumeresize

import (
	"strings"
	"testing"

	"agent-storage/workload/internal/kubeapi"
)

const prov = "agent-storage.dev/shared-path"

// world is one claim of the shared class asking for 2Gi on a 1Gi volume the provisioner
// made for it: the case that grows. Each test changes one thing.
type world struct {
	claim   kubeapi.PersistentVolumeClaim
	classes map[string]*kubeapi.StorageClass
	volumes map[string]*kubeapi.PersistentVolume
}

func newWorld() *world {
	yes := true
	shared := "shared"
	var c kubeapi.PersistentVolumeClaim
	c.Metadata = kubeapi.ObjectMeta{Namespace: "agent", Name: "embeddings", UID: "uid-1"}
	c.Spec.StorageClassName = &shared
	c.Spec.VolumeName = "pvc-uid-1"
	c.Spec.Resources.Requests = map[string]string{"storage": "2Gi"}
	c.Status.Phase = "Bound"
	c.Status.Capacity = map[string]string{"storage": "1Gi"}
	var pv kubeapi.PersistentVolume
	pv.Metadata = kubeapi.ObjectMeta{Name: "pvc-uid-1", Annotations: map[string]string{ProvisionedBy: prov}}
	pv.Spec.Capacity = map[string]string{"storage": "1Gi"}
	pv.Spec.ClaimRef = &kubeapi.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: "agent", Name: "embeddings", UID: "uid-1"}
	return &world{
		claim:   c,
		classes: map[string]*kubeapi.StorageClass{"shared": {Metadata: kubeapi.ObjectMeta{Name: "shared"}, Provisioner: prov, AllowVolumeExpansion: &yes}},
		volumes: map[string]*kubeapi.PersistentVolume{"pvc-uid-1": &pv},
	}
}

func (w *world) plan() ([]Resize, []Skip) {
	return Plan(prov, []kubeapi.PersistentVolumeClaim{w.claim}, w.classes, w.volumes)
}

func TestPlanGrowsABoundClaimOfTheProvisionerThatAsksForMore(t *testing.T) {
	w := newWorld()
	grow, skip := w.plan()
	want := Resize{Namespace: "agent", Claim: "embeddings", UID: "uid-1", Volume: "pvc-uid-1", From: "1Gi", To: "2Gi"}
	if len(skip) != 0 || len(grow) != 1 || grow[0] != want {
		t.Fatalf("grow %+v, skip %+v; want %+v", grow, skip, want)
	}
	if !NeedsVolume(prov, &w.claim, w.classes) {
		t.Fatal("NeedsVolume false for a claim the plan grows")
	}
}

func TestPlanFinishesAClaimWhoseVolumeIsAlreadyGrown(t *testing.T) {
	for _, pvSize := range []string{"2Gi", "2147483648", "3Gi"} {
		w := newWorld()
		w.volumes["pvc-uid-1"].Spec.Capacity["storage"] = pvSize
		grow, _ := w.plan()
		if len(grow) != 1 || !grow[0].VolumeDone || grow[0].To != "2Gi" {
			t.Errorf("volume of %s: %+v", pvSize, grow)
		}
	}
}

// Compares sizes, not strings: 2048Mi is 2Gi.
func TestPlanComparesBytes(t *testing.T) {
	w := newWorld()
	w.claim.Spec.Resources.Requests["storage"] = "1024Mi"
	if grow, skip := w.plan(); len(grow) != 0 || skip[0].Reason != "requests no more than it has" {
		t.Fatalf("1024Mi on 1Gi: grow %+v, skip %+v", grow, skip)
	}
	w.claim.Spec.Resources.Requests["storage"] = "1100M" // 1.1e9 > 1073741824
	if grow, _ := w.plan(); len(grow) != 1 {
		t.Fatalf("1100M on 1Gi is more: %+v", grow)
	}
}

func TestPlanSkips(t *testing.T) {
	no := false
	for _, c := range []struct {
		name   string
		change func(w *world)
		reason string
		stuck  bool // logged: the claim asks for more and cannot have it
	}{
		{"a pending claim", func(w *world) { w.claim.Status.Phase = "Pending" }, `not bound (phase "Pending")`, false},
		{"a lost claim", func(w *world) { w.claim.Status.Phase = "Lost" }, `not bound (phase "Lost")`, false},
		{"a bound claim that names no volume", func(w *world) { w.claim.Spec.VolumeName = "" }, "bound, but names no volume", false},
		{"a claim without a class", func(w *world) { w.claim.Spec.StorageClassName = nil }, "no storage class", false},
		{"a claim of the empty class", func(w *world) { e := ""; w.claim.Spec.StorageClassName = &e }, "no storage class", false},
		{"a class that does not exist", func(w *world) { delete(w.classes, "shared") }, "storage class shared not found", false},
		{"another provisioner's class", func(w *world) { w.classes["shared"].Provisioner = "ebs.csi.aws.com" }, "storage class shared is provisioned by ebs.csi.aws.com", false},
		{"a class without allowVolumeExpansion", func(w *world) { w.classes["shared"].AllowVolumeExpansion = nil }, "storage class shared does not allow volume expansion", false},
		{"a class with allowVolumeExpansion false", func(w *world) { w.classes["shared"].AllowVolumeExpansion = &no }, "storage class shared does not allow volume expansion", false},
		{"a claim that asks for what it has", func(w *world) { w.claim.Spec.Resources.Requests["storage"] = "1Gi" }, "requests no more than it has", false},
		{"a claim that asks for less (never shrink)", func(w *world) { w.claim.Spec.Resources.Requests["storage"] = "512Mi" }, "requests no more than it has", false},
		{"a request that is not a size", func(w *world) { w.claim.Spec.Resources.Requests["storage"] = "2GB" }, `spec.resources.requests.storage: "2GB" is not a storage size`, true},
		{"a claim without a request", func(w *world) { delete(w.claim.Spec.Resources.Requests, "storage") }, `spec.resources.requests.storage: "" is not a storage size`, true},
		{"a claim without a capacity", func(w *world) { w.claim.Status.Capacity = nil }, `status.capacity.storage: "" is not a storage size`, true},
		{"a volume that does not exist", func(w *world) { delete(w.volumes, "pvc-uid-1") }, "volume pvc-uid-1 not found", true},
		{"a static volume", func(w *world) { w.volumes["pvc-uid-1"].Metadata.Annotations = nil }, `volume pvc-uid-1 was not made by ` + prov + ` (pv.kubernetes.io/provisioned-by ""): static or another provisioner's`, true},
		{"another provisioner's volume", func(w *world) { w.volumes["pvc-uid-1"].Metadata.Annotations[ProvisionedBy] = "rancher.io/local-path" }, `(pv.kubernetes.io/provisioned-by "rancher.io/local-path")`, true},
		{"a volume without a claimRef", func(w *world) { w.volumes["pvc-uid-1"].Spec.ClaimRef = nil }, "volume pvc-uid-1 is not bound to this claim", true},
		{"a volume bound to a claim of another namespace", func(w *world) { w.volumes["pvc-uid-1"].Spec.ClaimRef.Namespace = "other" }, "volume pvc-uid-1 is not bound to this claim", true},
		{"a volume bound to a claim of another name", func(w *world) { w.volumes["pvc-uid-1"].Spec.ClaimRef.Name = "other" }, "volume pvc-uid-1 is not bound to this claim", true},
		{"a volume bound to an earlier claim of the same name", func(w *world) { w.volumes["pvc-uid-1"].Spec.ClaimRef.UID = "uid-0" }, "volume pvc-uid-1 is not bound to this claim", true},
		{"a volume whose capacity is not a size", func(w *world) { w.volumes["pvc-uid-1"].Spec.Capacity["storage"] = "lots" }, `volume pvc-uid-1 spec.capacity.storage: "lots" is not a storage size`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			c.change(w)
			grow, skip := w.plan()
			if len(grow) != 0 || len(skip) != 1 {
				t.Fatalf("grow %+v, skip %+v", grow, skip)
			}
			s := skip[0]
			if !strings.Contains(s.Reason, c.reason) || s.Stuck != c.stuck || s.Namespace != "agent" || s.Claim != "embeddings" || s.UID != "uid-1" {
				t.Fatalf("skip %+v, want reason %q, stuck %v", s, c.reason, c.stuck)
			}
		})
	}
}

// Each claim is decided on its own: one that cannot grow does not hold back another.
func TestPlanDecidesEachClaimOnItsOwn(t *testing.T) {
	w := newWorld()
	other := w.claim
	other.Metadata = kubeapi.ObjectMeta{Namespace: "agent", Name: "checkpoints", UID: "uid-2"}
	other.Spec.VolumeName = "pvc-uid-2"
	other.Spec.Resources.Requests = map[string]string{"storage": "5Gi"}
	grow, skip := Plan(prov, []kubeapi.PersistentVolumeClaim{other, w.claim}, w.classes, w.volumes)
	if len(grow) != 1 || grow[0].Claim != "embeddings" || len(skip) != 1 || skip[0].Claim != "checkpoints" || skip[0].Reason != "volume pvc-uid-2 not found" {
		t.Fatalf("grow %+v, skip %+v", grow, skip)
	}
}
