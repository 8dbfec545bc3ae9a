package main

import (
	"io"
	"time"

	"agent-storage/workload/internal/kubeapi"
	"agent-storage/workload/internal/volumeresize"
)

// flagProvisioner is the flag the resizer sidecar's pod spec passes, named once for the
// command and the contract.
const flagProvisioner = "provisioner"

func cmdExpandVolumes(args []string, stdout, stderr io.Writer) int {
	f := newClientFlags("expand-volumes", stderr)
	provisioner := f.String(flagProvisioner, "", "grow the volumes of this provisioner `NAME` (their class's provisioner and their "+volumeresize.ProvisionedBy+" annotation)")
	interval := f.Duration("interval", 2*time.Second, "look at the claims this often")
	saDir := addServiceAccountFlag(f)
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "expand-volumes")
	}
	if *provisioner == "" {
		return fail(stderr, "expand-volumes", usagef("--%s is required", flagProvisioner))
	}
	if *interval <= 0 {
		return fail(stderr, "expand-volumes", usagef("--interval must be positive (got %s)", *interval))
	}
	c, err := kubeapi.InCluster(*saDir)
	if err != nil {
		return fail(stderr, "expand-volumes", err)
	}
	logf := logger(stderr)
	ctx, cancel := signalContext()
	defer cancel()
	logf("resizer starting: growing the volumes of %s to what their claims request, every %s", *provisioner, *interval)
	r := &volumeresize.Resizer{Client: c, Provisioner: *provisioner, Logf: logf}
	r.Run(ctx, *interval)
	logf("stopping (signal received)")
	return exitOK
}
