// Command runc-capdrop is an OCI runtime that edits a container's spec and then hands over
// to runc. It exists for machines whose root process lacks some capabilities (here:
// CAP_SYS_RESOURCE): a privileged container asks for every capability, and runc fails when
// it cannot grant one the caller does not hold. Docker (for kind's node containers) and the
// containerd inside each kind node (for privileged pods such as kube-proxy) register it as
// their runtime.
//
// Before `create` or `run` it rewrites <bundle>/config.json so that the container asks for no
// more than this process has:
//   - capabilities missing from this process's bounding set are removed from every set;
//   - rlimits above this process's hard limit are lowered to it (raising one needs
//     CAP_SYS_RESOURCE);
//   - an oomScoreAdj below this process's own is raised to it (lowering one needs it too).
//
// Every other call passes through untouched. The real runtime is $RUNC_CAPDROP_RUNTIME, or
// the first `runc` on PATH that is not this program.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	args := os.Args[1:]
	if file, kind, ok := specToEdit(args); ok {
		held, err := boundingSet()
		if err == nil {
			err = editSpec(file, kind, held)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "runc-capdrop: %v\n", err)
			os.Exit(1)
		}
	}
	runc, err := realRuntime()
	if err != nil {
		fmt.Fprintf(os.Stderr, "runc-capdrop: %v\n", err)
		os.Exit(1)
	}
	if err := syscall.Exec(runc, append([]string{runc}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runc-capdrop: exec %s: %v\n", runc, err)
		os.Exit(1)
	}
}

// specKind says what a spec file holds: a whole container (config.json of a bundle) or only
// the process of an `exec`.
type specKind int

const (
	containerSpec specKind = iota
	processSpec
)

// specToEdit finds the subcommand and the spec file it will read: <bundle>/config.json for
// create and run, the --process file for exec. Global flags come before the subcommand;
// those that take a value are listed so their value is not taken for it.
func specToEdit(args []string) (string, specKind, bool) {
	globalWithValue := map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true}
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if globalWithValue[args[i]] {
			i++
		}
		i++
	}
	if i >= len(args) {
		return "", 0, false
	}
	flagValue := func(long, short string) (string, bool) {
		for j := i + 1; j < len(args); j++ {
			a := args[j]
			switch {
			case (a == long || a == short) && j+1 < len(args):
				return args[j+1], true
			case strings.HasPrefix(a, long+"="):
				return strings.TrimPrefix(a, long+"="), true
			}
		}
		return "", false
	}
	switch args[i] {
	case "create", "run":
		bundle, ok := flagValue("--bundle", "-b")
		if !ok {
			bundle = "."
		}
		return filepath.Join(bundle, "config.json"), containerSpec, true
	case "exec":
		if p, ok := flagValue("--process", "-p"); ok {
			return p, processSpec, true
		}
	}
	return "", 0, false
}

func editSpec(path string, kind specKind, held map[string]bool) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	changed := false
	proc, ok := spec["process"].(map[string]any)
	if kind == processSpec {
		proc, ok = spec, true
	}
	if ok {
		if caps, ok := proc["capabilities"].(map[string]any); ok {
			for _, set := range []string{"bounding", "effective", "inheritable", "permitted", "ambient"} {
				list, ok := caps[set].([]any)
				if !ok {
					continue
				}
				kept := make([]any, 0, len(list))
				for _, c := range list {
					if name, ok := c.(string); ok && !held[name] {
						changed = true
						continue
					}
					kept = append(kept, c)
				}
				caps[set] = kept
			}
		}
		if limits, ok := proc["rlimits"].([]any); ok {
			for _, l := range limits {
				if clampRlimit(l) {
					changed = true
				}
			}
		}
		if adj, ok := proc["oomScoreAdj"].(float64); ok {
			if own, err := ownOOMScoreAdj(); err == nil && int(adj) < own {
				proc["oomScoreAdj"] = own
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

var rlimitResources = map[string]int{
	"RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
	"RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
	"RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
	"RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
}

func clampRlimit(l any) bool {
	m, ok := l.(map[string]any)
	if !ok {
		return false
	}
	name, _ := m["type"].(string)
	res, ok := rlimitResources[name]
	if !ok {
		return false
	}
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(res, &cur); err != nil {
		return false
	}
	hard, _ := m["hard"].(float64)
	soft, _ := m["soft"].(float64)
	max := float64(cur.Max)
	changed := false
	if hard > max {
		m["hard"], hard, changed = cur.Max, max, true
	}
	if soft > hard {
		m["soft"], changed = uint64(hard), true
	}
	return changed
}

// boundingSet names the capabilities this process may pass on, as OCI spells them.
func boundingSet() (map[string]bool, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if !strings.HasPrefix(line, "CapBnd:") {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "CapBnd:")), 16, 64)
		if err != nil {
			return nil, err
		}
		held := map[string]bool{}
		for bit, name := range capabilityNames {
			if mask&(1<<uint(bit)) != 0 {
				held[name] = true
			}
		}
		return held, nil
	}
	return nil, fmt.Errorf("no CapBnd line in /proc/self/status")
}

func ownOOMScoreAdj() (int, error) {
	b, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// realRuntime is the runc to hand over to: never this program itself, which may be
// installed under the name runc.
func realRuntime() (string, error) {
	if r := os.Getenv("RUNC_CAPDROP_RUNTIME"); r != "" {
		return r, nil
	}
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	for _, dir := range filepath.SplitList(os.Getenv("PATH") + ":/usr/sbin:/usr/bin:/sbin") {
		p := filepath.Join(dir, "runc")
		if resolved, err := filepath.EvalSymlinks(p); err == nil && resolved != self {
			if _, err := exec.LookPath(resolved); err == nil {
				return resolved, nil
			}
		}
	}
	return "", fmt.Errorf("no runc found on PATH (set RUNC_CAPDROP_RUNTIME)")
}

// Capability numbers from linux/capability.h, as the OCI spec names them.
var capabilityNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}
