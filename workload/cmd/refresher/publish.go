package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"agent-storage/workload/internal/atomicfile"
	"agent-storage/workload/internal/kubeapi"
	"agent-storage/workload/internal/store"
)

// The generator publishes the version it serves to a ConfigMap (data keys below) so the
// stack can report it; after each successful publish it writes the published file, which
// `ready --published` compares with current.
const (
	defaultPublishedFile   = mountScratch + "/refresher-published.json"
	defaultPublishInterval = 10 * time.Second
	keyCurrentVersion      = "currentVersion"
	keyPublishedAt         = "publishedAt"
	keyKeptVersions        = "keptVersions"
	publishCallTimeout     = 30 * time.Second
)

// Published is the content of the published file.
type Published struct {
	Version      string   `json:"version"`
	PublishedAt  string   `json:"publishedAt"`
	KeptVersions []string `json:"keptVersions"`
	ConfigMap    string   `json:"configMap"` // namespace/name
}

// publishFlags are generate's publishing settings.
type publishFlags struct {
	configMap, saDir, file *string
	interval               *time.Duration
}

func addPublishFlags(f *flags) *publishFlags {
	return &publishFlags{
		configMap: f.envString("status-configmap", envStatusConfigMap, "", "publish the served version to this ConfigMap `NAME` in the pod's namespace (empty: publishing off)"),
		interval:  f.Duration("publish-interval", defaultPublishInterval, "check current this often and publish it when it or the kept versions changed (also right after start-up and each refresh)"),
		file:      f.String("published-file", defaultPublishedFile, "after each successful publish, write the version and time to this `FILE` (read by ready --published)"),
		saDir:     addServiceAccountFlag(f),
	}
}

// addServiceAccountFlag is the flag of every command that talks to the API server from a pod.
func addServiceAccountFlag(f *flags) *string {
	return f.String("serviceaccount-dir", kubeapi.DefaultServiceAccountDir, "service-account `DIR` with token, ca.crt and namespace")
}

// validConfigMapName checks a DNS-1123 subdomain name, as the API server will.
func validConfigMapName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for i, r := range n {
		alnum := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		if !alnum && r != '-' && r != '.' {
			return false
		}
		if (i == 0 || i == len(n)-1) && !alnum {
			return false
		}
	}
	return true
}

// publisher returns nil when publishing is off.
func (pf *publishFlags) publisher(f *flags, s *store.Store, logf func(string, ...any)) (*publisher, error) {
	if *pf.configMap == "" {
		return nil, nil
	}
	if !validConfigMapName(*pf.configMap) {
		return nil, usagef("--status-configmap: %q is not a valid ConfigMap name (lower-case letters, digits, '-' and '.')%s", *pf.configMap, f.source("status-configmap"))
	}
	if *pf.interval <= 0 {
		return nil, usagef("--publish-interval must be positive")
	}
	if *pf.file == "" {
		return nil, usagef("--published-file must not be empty")
	}
	return &publisher{s: s, name: *pf.configMap, saDir: *pf.saDir, file: *pf.file, interval: *pf.interval,
		logf: logf, kick: make(chan struct{}, 1)}, nil
}

// publisher keeps the status ConfigMap in step with current.
type publisher struct {
	s        *store.Store
	name     string
	saDir    string
	file     string
	interval time.Duration
	logf     func(string, ...any)
	kick     chan struct{}

	client *kubeapi.Client
	// what the last successful publish said
	published             bool
	lastVersion, lastKept string
	// problems logged since the last successful publish: each distinct one is logged
	// once, however often it repeats or alternates with another; a reminder follows
	// every remindEvery while publishing keeps failing.
	seen         map[string]bool
	failing      bool
	failingSince time.Time
	attempts     int
	lastLogged   time.Time
	lastProblem  string
	remindEvery  time.Duration // 0 means defaultRemindEvery
}

const defaultRemindEvery = 10 * time.Minute

// trigger asks for a publish now (after a refresh); it never blocks.
func (p *publisher) trigger() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// describe says what the publisher does, for the generator's start-up log.
func (p *publisher) describe() string {
	return fmt.Sprintf("publishing the served version to ConfigMap %s (at start, after each refresh, and every %s when it changed); published file %s",
		p.name, p.interval, p.file)
}

// run publishes at once, then after each trigger and every interval, until ctx ends.
func (p *publisher) run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.publish(ctx)
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-t.C:
		}
	}
}

func (p *publisher) remind() time.Duration {
	if p.remindEvery > 0 {
		return p.remindEvery
	}
	return defaultRemindEvery
}

// problem logs msg unless it was logged since the last success (then at most a
// reminder every 10 minutes). failure says whether it is a failure to publish (as
// opposed to nothing to publish yet).
func (p *publisher) problem(msg string, failure bool) {
	now := time.Now()
	if failure {
		if !p.failing {
			p.failing, p.failingSince, p.attempts = true, now, 0
		}
		p.attempts++
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	p.lastProblem = msg
	switch {
	case !p.seen[msg]:
		if len(p.seen) >= 32 { // bound memory for errors that never repeat
			p.seen = map[string]bool{}
		}
		p.seen[msg] = true
		p.logf("%s", msg)
		p.lastLogged = now
	case failure && now.Sub(p.lastLogged) >= p.remind():
		p.logf("publisher: still failing (%d attempts since %s); last error: %s", p.attempts, p.failingSince.UTC().Format(time.RFC3339), msg)
		p.lastLogged = now
	}
}

// publish upserts the ConfigMap if current or the kept versions changed since the last
// successful publish. Failures are logged once and retried at the next tick.
func (p *publisher) publish(ctx context.Context) {
	id, dir, err := p.s.ResolveCurrent()
	if errors.Is(err, store.ErrNoCurrent) || errors.Is(err, fs.ErrNotExist) {
		// Before the first refresh: not a failure (the generator is making one).
		p.problem(fmt.Sprintf("publisher: no current version yet (%v); nothing to publish", err), false)
		return
	}
	if err == nil {
		_, _, err = store.Verify(dir, id, false)
	}
	if err != nil {
		p.problem(fmt.Sprintf("publisher: not publishing: current does not verify: %v", err), true)
		return
	}
	vs, err := p.s.List()
	if err != nil {
		p.problem(fmt.Sprintf("publisher: cannot list versions: %v", err), true)
		return
	}
	kept := store.Complete(vs)
	sort.Sort(sort.Reverse(sort.StringSlice(kept))) // ids sort by age: newest first
	keptS := strings.Join(kept, ",")
	if p.published && id == p.lastVersion && keptS == p.lastKept {
		return
	}
	if p.client == nil {
		c, err := kubeapi.InCluster(p.saDir)
		if err != nil {
			p.problem(fmt.Sprintf("publisher: cannot publish version %s to ConfigMap %s: %v (retrying every %s; the generator stays NotReady until it works)", id, p.name, err, p.interval), true)
			return
		}
		p.client = c
	}
	now := time.Now().UTC().Format(time.RFC3339)
	cctx, cancel := context.WithTimeout(ctx, publishCallTimeout)
	err = p.client.UpsertConfigMapData(cctx, p.name, map[string]string{
		keyCurrentVersion: id,
		keyPublishedAt:    now,
		keyKeptVersions:   keptS,
	})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return // stopping
		}
		p.problem(fmt.Sprintf("publisher: cannot publish version %s to ConfigMap %s/%s: %v (retrying every %s; the generator stays NotReady until it works)",
			id, p.client.Namespace, p.name, err, p.interval), true)
		return
	}
	rec := Published{Version: id, PublishedAt: now, KeptVersions: kept, ConfigMap: p.client.Namespace + "/" + p.name}
	if rec.KeptVersions == nil {
		rec.KeptVersions = []string{}
	}
	if err := writeJSONAtomic(p.file, rec); err != nil {
		p.problem(fmt.Sprintf("publisher: published version %s to ConfigMap %s/%s but cannot record it in %s: %v (ready --published stays false; retrying every %s)",
			id, p.client.Namespace, p.name, p.file, err, p.interval), true)
		return
	}
	if p.failing {
		p.logf("publisher: publishing works again (after %d failed attempts since %s)", p.attempts, p.failingSince.UTC().Format(time.RFC3339))
	}
	p.failing, p.seen, p.lastProblem = false, nil, ""
	p.published, p.lastVersion, p.lastKept = true, id, keptS
	p.logf("published: ConfigMap %s/%s currentVersion=%s keptVersions=%s", p.client.Namespace, p.name, id, orNone(keptS))
}

// writeJSONAtomic writes v as JSON to path so that a reader sees the old or the new
// content, never a part.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}

// readPublished reads the published file.
func readPublished(path string) (*Published, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Published
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}
