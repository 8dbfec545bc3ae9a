package main

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"agent-storage/workload/internal/copyvolume"
	"agent-storage/workload/internal/kubeapi"
	"agent-storage/workload/internal/query"
	"agent-storage/workload/internal/store"
)

// The environment variables the pod spec sets and the flags read them from.
const (
	envEmbeddings      = "EMBEDDINGS_PATH"
	envCheckpoints     = "CHECKPOINTS_PATH"
	envSchedule        = "REFRESH_SCHEDULE"
	envKeepVersions    = "KEEP_VERSIONS"
	envGracePeriod     = "GRACE_PERIOD"
	envStatusConfigMap = "STATUS_CONFIGMAP"
	envStatusFile      = "STATUS_FILE"
	envQueryListen     = "QUERY_LISTEN"
)

// Where the pods mount what the refresher reads and writes. Only scratch is writable in
// every pod, so the status and published files live there.
const (
	mountEmbeddings  = "/data/embeddings"
	mountCheckpoints = "/data/checkpoints"
	mountScratch     = "/tmp"
	// mountCopySource is where the copy Job mounts the volume it copies from; the new
	// volume goes where the workloads will mount it.
	mountCopySource = "/data/copy-source"
)

// statusConfigMapName is the ConfigMap the stack tells the generator to publish to (it
// sets STATUS_CONFIGMAP to it, and reads it back).
const statusConfigMapName = "embeddings-status"

// Contract is everything the Pulumi program and its tests rely on about the refresher,
// printed by `refresher contract` and committed as workload/contract.json, which the
// TypeScript side imports. A test keeps the file equal to this.
type Contract struct {
	Binary      string            `json:"binary"`
	Subcommands map[string]string `json:"subcommands"`
	Env         map[string]string `json:"env"`
	// Flags the pod specs pass: the readiness probes', and the volume resizer's
	// provisioner (the copy Job's are under Copy).
	Flags      map[string]string `json:"flags"`
	MountPaths map[string]string `json:"mountPaths"`
	Files      map[string]string `json:"files"`
	// StatusFileFields are the JSON fields of the status file serve writes.
	StatusFileFields []string          `json:"statusFileFields"`
	StatusConfigMap  statusConfigMap   `json:"statusConfigMap"`
	Layout           map[string]string `json:"layout"`
	ExitCodes        map[string]int    `json:"exitCodes"`
	// QueryAPI is the HTTP API serve offers with --listen (env queryListen).
	QueryAPI queryAPI `json:"queryApi"`
	// Copy is what the copy Job passes to `refresher copy`.
	Copy copyContract `json:"copy"`
}

type copyContract struct {
	Flags map[string]string `json:"flags"`
	// Layouts are the values of the layout flag: embeddings for the embeddings volume,
	// files for the checkpoints volume.
	Layouts map[string]string `json:"layouts"`
	// Marker is the file a copy leaves in the destination's top directory.
	Marker string `json:"marker"`
}

type queryAPI struct {
	ListenFlag string            `json:"listenFlag"`
	Paths      map[string]string `json:"paths"`
}

type statusConfigMap struct {
	Name string            `json:"name"`
	Keys map[string]string `json:"keys"`
	// Labels the generator puts on the ConfigMap when it creates it.
	Labels map[string]string `json:"labels"`
}

func contract() Contract {
	layouts := map[string]string{}
	for _, l := range copyvolume.Layouts {
		layouts[string(l)] = string(l)
	}
	subs := map[string]string{}
	for name := range commands() {
		subs[camelCase(name)] = name
	}
	return Contract{
		Binary:      "refresher",
		Subcommands: subs,
		Env: map[string]string{
			"embeddingsPath": envEmbeddings, "checkpointsPath": envCheckpoints, "refreshSchedule": envSchedule,
			"keepVersions": envKeepVersions, "gracePeriod": envGracePeriod, "statusConfigMap": envStatusConfigMap,
			"statusFile": envStatusFile, "queryListen": envQueryListen,
		},
		Flags: map[string]string{"checksums": "--checksums", "embeddings": "--embeddings", "published": "--published",
			flagProvisioner: "--" + flagProvisioner},
		MountPaths: map[string]string{
			"embeddings": mountEmbeddings, "checkpoints": mountCheckpoints, "scratch": mountScratch, "copySource": mountCopySource,
		},
		Files:            map[string]string{"status": defaultStatusFile, "published": defaultPublishedFile},
		StatusFileFields: jsonFields(reflect.TypeOf(ServeStatus{})),
		StatusConfigMap: statusConfigMap{
			Name: statusConfigMapName,
			Keys: map[string]string{
				keyCurrentVersion: keyCurrentVersion, keyPublishedAt: keyPublishedAt, keyKeptVersions: keyKeptVersions,
			},
			Labels: kubeapi.CreatedLabels,
		},
		Layout: map[string]string{
			"current": store.CurrentLink, "versions": store.VersionsDir, "manifest": store.ManifestName,
			"objects": store.ObjectsDir, "lock": store.LockName,
		},
		ExitCodes: map[string]int{"ok": exitOK, "failure": exitErr, "usage": exitUsage, "busy": exitBusy},
		QueryAPI: queryAPI{
			ListenFlag: "--listen",
			Paths: map[string]string{
				"query": query.PathQuery, "healthz": query.PathHealthz, "readyz": query.PathReadyz, "metrics": query.PathMetrics,
			},
		},
		Copy: copyContract{
			Flags:   map[string]string{flagCopyFrom: "--" + flagCopyFrom, flagCopyTo: "--" + flagCopyTo, flagCopyLayout: "--" + flagCopyLayout},
			Layouts: layouts,
			Marker:  copyvolume.MarkerName,
		},
	}
}

// camelCase makes a subcommand's key in the contract: expand-volumes is expandVolumes,
// a name TypeScript can write as a property.
func camelCase(name string) string {
	parts := strings.Split(name, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// jsonFields lists a struct's JSON field names, sorted.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// contractJSON is the committed form of the contract (maps come out with sorted keys).
func contractJSON() []byte {
	b, err := json.MarshalIndent(contract(), "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func cmdContract(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		return fail(stderr, "contract", usagef("unexpected argument %q (contract takes none)", args[0]))
	}
	if len(args) > 0 {
		fmt.Fprintln(stdout, "usage: refresher contract\n\nPrints the refresher's interface to the program that deploys it, as JSON (workload/contract.json).")
		return exitOK
	}
	stdout.Write(contractJSON())
	return exitOK
}
