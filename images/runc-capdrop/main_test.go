package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestSpecToEditFindsTheSpecOfCreateRunAndExec(t *testing.T) {
	cases := []struct {
		args []string
		file string
		kind specKind
		ok   bool
	}{
		{[]string{"--root", "/run/runc", "--log", "/x.log", "--log-format", "json", "create", "--bundle", "/b1", "--pid-file", "p", "id"}, "/b1/config.json", containerSpec, true},
		{[]string{"run", "-b", "/b2", "id"}, "/b2/config.json", containerSpec, true},
		{[]string{"--systemd-cgroup", "create", "--bundle=/b3", "id"}, "/b3/config.json", containerSpec, true},
		{[]string{"create", "id"}, "config.json", containerSpec, true},
		{[]string{"--root", "/r", "exec", "--process", "/tmp/p.json", "--detach", "id"}, "/tmp/p.json", processSpec, true},
		{[]string{"exec", "id", "sh"}, "", 0, false},
		{[]string{"--root", "create", "state", "id"}, "", 0, false},
		{[]string{"start", "id"}, "", 0, false},
		{[]string{"--version"}, "", 0, false},
	}
	for _, c := range cases {
		file, kind, ok := specToEdit(c.args)
		if ok != c.ok || file != c.file || kind != c.kind {
			t.Errorf("specToEdit(%q) = %q, %v, %v; want %q, %v, %v", c.args, file, kind, ok, c.file, c.kind, c.ok)
		}
	}
}

func TestEditSpecDropsCapabilitiesFromAnExecProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "process.json")
	if err := os.WriteFile(path, []byte(`{"args":["sh"],"capabilities":{"bounding":["CAP_SYS_RESOURCE","CAP_KILL"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := editSpec(path, processSpec, map[string]bool{"CAP_KILL": true}); err != nil {
		t.Fatal(err)
	}
	var got struct{ Capabilities map[string][]string }
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if c := got.Capabilities["bounding"]; len(c) != 1 || c[0] != "CAP_KILL" {
		t.Errorf("bounding = %v, want [CAP_KILL]", c)
	}
}

func TestEditSpecDropsCapabilitiesThisProcessDoesNotHold(t *testing.T) {
	dir := t.TempDir()
	spec := `{"ociVersion":"1.0.2","process":{"capabilities":{"bounding":["CAP_CHOWN","CAP_SYS_RESOURCE"],` +
		`"effective":["CAP_SYS_RESOURCE","CAP_NET_ADMIN"],"permitted":["CAP_SYS_RESOURCE"]},"args":["sh"]},"root":{"path":"rootfs"}}`
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := editSpec(path, containerSpec, map[string]bool{"CAP_CHOWN": true, "CAP_NET_ADMIN": true}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Process struct {
			Capabilities map[string][]string `json:"capabilities"`
			Args         []string            `json:"args"`
		} `json:"process"`
		Root struct{ Path string } `json:"root"`
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	caps := got.Process.Capabilities
	if len(caps["bounding"]) != 1 || caps["bounding"][0] != "CAP_CHOWN" {
		t.Errorf("bounding = %v, want [CAP_CHOWN]", caps["bounding"])
	}
	if len(caps["effective"]) != 1 || caps["effective"][0] != "CAP_NET_ADMIN" {
		t.Errorf("effective = %v, want [CAP_NET_ADMIN]", caps["effective"])
	}
	if len(caps["permitted"]) != 0 {
		t.Errorf("permitted = %v, want []", caps["permitted"])
	}
	if got.Root.Path != "rootfs" || len(got.Process.Args) != 1 {
		t.Errorf("other fields were not kept: %s", b)
	}
}

func TestEditSpecLeavesAGrantableSpecByteForByte(t *testing.T) {
	dir := t.TempDir()
	spec := `{"process":{"capabilities":{"bounding":["CAP_CHOWN"]}},  "x": 1}`
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := editSpec(path, containerSpec, map[string]bool{"CAP_CHOWN": true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != spec {
		t.Errorf("spec rewritten although nothing changed: %s", b)
	}
}
