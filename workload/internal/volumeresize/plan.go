// Package volumeresize grows the volumes of one provisioner whose folders carry no size
// limit: kind's shared-path volumes, plain folders of one host folder every node
// mounts. There is nothing to grow on disk, so the size the API keeps is the only
// record of it; when a claim asks for more, the resizer writes the request into the
// volume's capacity and the claim's status, the bookkeeping an external resizer does
// when no node-side step is needed (kube-controller-manager has no plugin for these
// volumes and waits for one).
//
// It is a stand-in for a CSI external-resizer on a test cluster, not a general
// controller: it polls (a small cluster, a few claims), grows only volumes its
// provisioner made for the claim bound to them, and never shrinks anything.
package volumeresize

import (
	"fmt"

	"agent-storage/workload/internal/kubeapi"
)

// ProvisionedBy is the annotation a provisioner puts on each volume it makes. Static
// volumes and those of other provisioners are never touched.
const ProvisionedBy = "pv.kubernetes.io/provisioned-by"

// Resize is one claim to grow.
type Resize struct {
	Namespace, Claim, UID string
	Volume                string
	// From is the claim's status capacity, To its request (quantities as the API
	// server wrote them).
	From, To string
	// VolumeDone: the volume already records at least To (a round that stopped half-way).
	VolumeDone bool
}

// Skip is a claim not grown, and why.
type Skip struct {
	Namespace, Claim, UID string
	Reason                string
	// Stuck: the claim is of an expandable class of the provisioner and asks for more
	// than it has, yet cannot be grown; worth a log line.
	Stuck bool
}

// Plan decides which claims to grow. classes and volumes are by name; one missing
// from them does not exist.
func Plan(provisioner string, claims []kubeapi.PersistentVolumeClaim, classes map[string]*kubeapi.StorageClass,
	volumes map[string]*kubeapi.PersistentVolume) (grow []Resize, skip []Skip) {
	for i := range claims {
		c := &claims[i]
		w := wants(provisioner, c, classes)
		if w.reason == "" {
			w.volumeDone, w.reason = volumeAllows(provisioner, c, volumes[c.Spec.VolumeName], w.to)
			w.stuck = w.reason != ""
		}
		if w.reason != "" {
			skip = append(skip, Skip{Namespace: c.Metadata.Namespace, Claim: c.Metadata.Name, UID: c.Metadata.UID, Reason: w.reason, Stuck: w.stuck})
			continue
		}
		grow = append(grow, Resize{
			Namespace: c.Metadata.Namespace, Claim: c.Metadata.Name, UID: c.Metadata.UID, Volume: c.Spec.VolumeName,
			From: c.Status.Capacity["storage"], To: c.Spec.Resources.Requests["storage"], VolumeDone: w.volumeDone,
		})
	}
	return grow, skip
}

type verdict struct {
	reason     string // empty: grow
	stuck      bool
	volumeDone bool
	to         string
}

// wants checks everything about a claim but its volume: bound, of an expandable class
// of the provisioner, asking for more than it has. NeedsVolume is the same check, for
// reading only the volumes a plan looks at.
func wants(provisioner string, c *kubeapi.PersistentVolumeClaim, classes map[string]*kubeapi.StorageClass) verdict {
	if c.Status.Phase != "Bound" {
		return verdict{reason: fmt.Sprintf("not bound (phase %q)", c.Status.Phase)}
	}
	if c.Spec.VolumeName == "" {
		return verdict{reason: "bound, but names no volume"}
	}
	if c.Spec.StorageClassName == nil || *c.Spec.StorageClassName == "" {
		return verdict{reason: "no storage class"}
	}
	name := *c.Spec.StorageClassName
	class := classes[name]
	switch {
	case class == nil:
		return verdict{reason: fmt.Sprintf("storage class %s not found", name)}
	case class.Provisioner != provisioner:
		return verdict{reason: fmt.Sprintf("storage class %s is provisioned by %s", name, class.Provisioner)}
	case class.AllowVolumeExpansion == nil || !*class.AllowVolumeExpansion:
		return verdict{reason: fmt.Sprintf("storage class %s does not allow volume expansion", name)}
	}
	req, err := ParseBytes(c.Spec.Resources.Requests["storage"])
	if err != nil {
		return verdict{reason: "spec.resources.requests.storage: " + err.Error(), stuck: true}
	}
	has, err := ParseBytes(c.Status.Capacity["storage"])
	if err != nil {
		return verdict{reason: "status.capacity.storage: " + err.Error(), stuck: true}
	}
	if req.Cmp(has) <= 0 {
		return verdict{reason: "requests no more than it has"}
	}
	return verdict{to: c.Spec.Resources.Requests["storage"]}
}

// NeedsVolume says whether Plan will look at the claim's volume.
func NeedsVolume(provisioner string, c *kubeapi.PersistentVolumeClaim, classes map[string]*kubeapi.StorageClass) bool {
	return wants(provisioner, c, classes).reason == ""
}

// volumeAllows checks that the volume is the provisioner's and bound to this very
// claim, and whether it already records the size asked for.
func volumeAllows(provisioner string, c *kubeapi.PersistentVolumeClaim, pv *kubeapi.PersistentVolume, to string) (done bool, reason string) {
	name := c.Spec.VolumeName
	switch {
	case pv == nil:
		return false, fmt.Sprintf("volume %s not found", name)
	case pv.Metadata.Annotations[ProvisionedBy] != provisioner:
		return false, fmt.Sprintf("volume %s was not made by %s (%s %q): static or another provisioner's", name, provisioner, ProvisionedBy, pv.Metadata.Annotations[ProvisionedBy])
	case pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.Namespace != c.Metadata.Namespace || pv.Spec.ClaimRef.Name != c.Metadata.Name || pv.Spec.ClaimRef.UID != c.Metadata.UID:
		return false, fmt.Sprintf("volume %s is not bound to this claim (its claimRef names another)", name)
	}
	want, _ := ParseBytes(to) // parsed by wants already
	has, err := ParseBytes(pv.Spec.Capacity["storage"])
	if err != nil {
		return false, fmt.Sprintf("volume %s spec.capacity.storage: %v", name, err)
	}
	return has.Cmp(want) >= 0, ""
}
