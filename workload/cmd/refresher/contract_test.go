package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// contractFile is the committed contract the TypeScript side imports.
var contractFile = filepath.Join("..", "..", "contract.json")

func TestTheCommittedContractIsWhatTheRefresherDeclares(t *testing.T) {
	want, err := os.ReadFile(contractFile)
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI("contract")
	if r.code != 0 {
		t.Fatalf("refresher contract: exit %d: %s", r.code, r.stderr)
	}
	if r.stdout != string(want) {
		t.Fatalf("workload/contract.json differs from what the refresher declares; regenerate it (cd workload && go run ./cmd/refresher contract > contract.json) and update the TypeScript side if a name changed.\ngot:\n%s", r.stdout)
	}
}

func TestEveryContractEnvironmentVariableSetsAFlag(t *testing.T) {
	var help strings.Builder
	for _, cmd := range []string{"generate", "serve"} {
		r := runCLI(cmd, "-h")
		help.WriteString(r.stderr)
	}
	for key, env := range contract().Env {
		if !strings.Contains(help.String(), "(env "+env+")") {
			t.Errorf("env.%s: no flag of generate or serve reads %s", key, env)
		}
	}
}

// The flags the pod specs pass are the probes' (ready) and the resizer sidecar's.
func TestThePodSpecFlagsAreFlagsOfReadyOrExpandVolumes(t *testing.T) {
	help := runCLI("ready", "-h").stderr + runCLI("expand-volumes", "-h").stderr
	for key, flag := range contract().Flags {
		if !strings.Contains(help, "  -"+strings.TrimPrefix(flag, "--")+" ") && !strings.Contains(help, "  -"+strings.TrimPrefix(flag, "--")+"\n") {
			t.Errorf("flags.%s: neither ready nor expand-volumes has a flag %s:\n%s", key, flag, help)
		}
	}
}

func TestEverySubcommandIsACommandUnderAKeyTypeScriptCanWrite(t *testing.T) {
	subs := contract().Subcommands
	if len(subs) != len(commands()) {
		t.Fatalf("%d subcommands in the contract, %d commands", len(subs), len(commands()))
	}
	for key, name := range subs {
		if _, ok := commands()[name]; !ok || strings.Contains(key, "-") {
			t.Errorf("subcommands.%s: %q (a command: %v)", key, name, ok)
		}
	}
	if subs["expandVolumes"] != "expand-volumes" {
		t.Errorf("subcommands.expandVolumes = %q", subs["expandVolumes"])
	}
}

func TestTheStatusAndPublishedFilesAreOnTheScratchMount(t *testing.T) {
	for key, path := range contract().Files {
		if filepath.Dir(path) != mountScratch {
			t.Errorf("files.%s %s is not on the scratch mount %s, the only writable folder of a pod", key, path, mountScratch)
		}
	}
}

func TestTheQueryListenFlagIsAFlagOfServe(t *testing.T) {
	help := runCLI("serve", "-h").stderr
	flag := contract().QueryAPI.ListenFlag
	if !strings.Contains(help, "  -"+strings.TrimPrefix(flag, "--")+" ADDR") || !strings.Contains(help, "(env "+contract().Env["queryListen"]+")") {
		t.Errorf("queryApi.listenFlag %s: serve has no such flag read from env.queryListen:\n%s", flag, help)
	}
}

func TestTheCopyFlagsAreFlagsOfCopyAndItsLayoutsAreAccepted(t *testing.T) {
	help := runCLI("copy", "-h").stderr
	c := contract().Copy
	for key, flag := range c.Flags {
		if !strings.Contains(help, "  -"+strings.TrimPrefix(flag, "--")+" ") {
			t.Errorf("copy.flags.%s: copy has no flag %s:\n%s", key, flag, help)
		}
	}
	for key, layout := range c.Layouts {
		r := runCLI("copy", c.Flags["from"], t.TempDir(), c.Flags["to"], filepath.Join(t.TempDir(), "to"), c.Flags["layout"], layout)
		if r.code != exitOK {
			t.Errorf("copy.layouts.%s: copy %s %s: exit %d: %s", key, c.Flags["layout"], layout, r.code, r.stderr)
		}
	}
}

func TestTheCopySourceHasAMountOfItsOwn(t *testing.T) {
	mounts := contract().MountPaths
	for key, path := range mounts {
		if key != "copySource" && (path == mounts["copySource"] || strings.HasPrefix(mounts["copySource"], path+"/") || strings.HasPrefix(path, mounts["copySource"]+"/")) {
			t.Errorf("mountPaths.copySource %s overlaps mountPaths.%s %s", mounts["copySource"], key, path)
		}
	}
}
