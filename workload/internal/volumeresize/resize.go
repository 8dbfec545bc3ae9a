package volumeresize

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"agent-storage/workload/internal/kubeapi"
)

// Component names the resizer in the Events it records.
const Component = "agent-storage-resizer"

// ReasonResized is the reason of the Event recorded for each claim grown, the one the
// CSI resizers use.
const ReasonResized = "VolumeResizeSuccessful"

// Resizer grows the volumes of one provisioner.
type Resizer struct {
	Client      *kubeapi.Client
	Provisioner string
	Logf        func(format string, args ...any)

	// stuck holds the reason last logged for each stuck claim (by uid), so a claim
	// that cannot be grown is logged once, not every round.
	stuck map[string]string
}

// Run does a round now and then every interval until ctx ends; a failed round is
// logged and the next one tries again. It returns when ctx ends.
func (r *Resizer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.Round(ctx); err != nil && ctx.Err() == nil {
			r.Logf("round failed: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Round lists the claims, reads the classes and volumes a plan needs (afresh: nothing
// is kept between rounds), and grows what the plan says. A claim that fails does not
// stop the others; the errors come back joined.
func (r *Resizer) Round(ctx context.Context) error {
	claims, err := r.Client.ListPersistentVolumeClaims(ctx)
	if err != nil {
		return err
	}
	classes := map[string]*kubeapi.StorageClass{}
	seen := map[string]bool{}
	for _, c := range claims {
		name := c.Spec.StorageClassName
		if c.Status.Phase != "Bound" || name == nil || *name == "" || seen[*name] {
			continue
		}
		seen[*name] = true
		sc, err := r.Client.GetStorageClass(ctx, *name)
		if kubeapi.IsStatus(err, http.StatusNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		classes[*name] = sc
	}
	volumes := map[string]*kubeapi.PersistentVolume{}
	for i := range claims {
		if !NeedsVolume(r.Provisioner, &claims[i], classes) {
			continue
		}
		pv, err := r.Client.GetPersistentVolume(ctx, claims[i].Spec.VolumeName)
		if kubeapi.IsStatus(err, http.StatusNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		volumes[pv.Metadata.Name] = pv
	}

	grow, skip := Plan(r.Provisioner, claims, classes, volumes)
	r.logStuck(skip)
	var errs []error
	for _, g := range grow {
		if err := r.Apply(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("%s/%s: %w", g.Namespace, g.Claim, err))
		}
	}
	return errors.Join(errs...)
}

// Apply grows one claim: the volume first, then the claim's status, so a round that
// stops between the two leaves a volume that records the new size and a claim that
// still asks for it, which the next round finishes with the status patch alone.
func (r *Resizer) Apply(ctx context.Context, g Resize) error {
	if !g.VolumeDone {
		patch := map[string]any{"spec": map[string]any{"capacity": map[string]any{"storage": g.To}}}
		if err := r.Client.PatchPersistentVolume(ctx, g.Volume, patch); err != nil {
			return err
		}
	}
	// The uid makes the patch fail rather than touch a claim deleted and made again
	// under the same name since it was listed. The conditions go (kube-controller-manager
	// may have said it waits for an external resizer), and so do the resize statuses:
	// the resize is over.
	status := map[string]any{
		"metadata": map[string]any{"uid": g.UID},
		"status": map[string]any{
			"capacity":                  map[string]any{"storage": g.To},
			"allocatedResources":        map[string]any{"storage": g.To},
			"conditions":                nil,
			"allocatedResourceStatuses": nil,
		},
	}
	if err := r.Client.PatchPersistentVolumeClaimStatus(ctx, g.Namespace, g.Claim, status); err != nil {
		return err
	}
	r.Logf("expanded %s/%s (volume %s): %s -> %s", g.Namespace, g.Claim, g.Volume, g.From, g.To)
	// The Event only tells kubectl describe; the resize is done without it.
	err := r.Client.CreateEvent(ctx, kubeapi.Event{
		InvolvedObject: kubeapi.ObjectReference{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: g.Namespace, Name: g.Claim, UID: g.UID},
		Type:           "Normal",
		Reason:         ReasonResized,
		Message:        fmt.Sprintf("volume %s expanded from %s to %s (its folder has no quota: the size is the one the API records)", g.Volume, g.From, g.To),
		Component:      Component,
	})
	if err != nil {
		r.Logf("warning: no Event for %s/%s: %v", g.Namespace, g.Claim, err)
	}
	return nil
}

func (r *Resizer) logStuck(skip []Skip) {
	now := map[string]string{}
	for _, s := range skip {
		if !s.Stuck {
			continue
		}
		now[s.UID] = s.Reason
		if r.stuck[s.UID] != s.Reason {
			r.Logf("not expanding %s/%s: %s", s.Namespace, s.Claim, s.Reason)
		}
	}
	r.stuck = now
}
