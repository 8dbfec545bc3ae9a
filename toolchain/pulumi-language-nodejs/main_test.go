package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// requireNode fails (never skips) without node: module resolution, Run and RunPlugin are
// only meaningful against the real Node.js the host starts.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH: these tests run the language host's Node.js resolution and "+
			"programs with the real node; install Node.js (or run scripts/toolchain --node and put "+
			".tools/bin first on PATH): %v", err)
	}
	return node
}

// unsetEnv removes a variable for the test and restores it afterwards, so the host sees the
// variables a test sets and none of the caller's.
func unsetEnv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "")
	os.Unsetenv(key)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tempDir is t.TempDir with symlinks resolved, because node reports resolved paths.
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// recorderScript stands in for @pulumi/pulumi's cmd/run and cmd/run-plugin: it writes what
// the host started it with to $LANGHOST_TEST_RECORD and exits as $LANGHOST_TEST_EXIT says.
const recorderScript = `const fs = require("fs");
const env = {};
for (const k of ["PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS", "PULUMI_NODEJS_TYPESCRIPT",
  "PULUMI_NODEJS_TSCONFIG_PATH", "LANGHOST_TEST_FROM_REQUEST"]) {
  if (k in process.env) env[k] = process.env[k];
}
fs.writeFileSync(process.env.LANGHOST_TEST_RECORD, JSON.stringify({
  script: __filename, argv: process.argv.slice(2), execArgv: process.execArgv,
  cwd: process.cwd(), env,
}));
const exit = process.env.LANGHOST_TEST_EXIT || "0";
if (exit === "kill") process.kill(process.pid, "SIGKILL");
process.exit(Number(exit));
`

type record struct {
	Script   string            `json:"script"`
	Argv     []string          `json:"argv"`
	ExecArgv []string          `json:"execArgv"`
	Cwd      string            `json:"cwd"`
	Env      map[string]string `json:"env"`
}

// fakeSDK installs an @pulumi/pulumi into dir/node_modules whose run entry points are the
// recorder, and returns the path of its cmd/run script.
func fakeSDK(t *testing.T, dir string) string {
	t.Helper()
	sdk := filepath.Join(dir, "node_modules", "@pulumi", "pulumi")
	writeFile(t, filepath.Join(sdk, "package.json"), `{"name": "@pulumi/pulumi", "version": "3.999.0"}`)
	writeFile(t, filepath.Join(sdk, "cmd", "run", "index.js"), recorderScript)
	writeFile(t, filepath.Join(sdk, "cmd", "run-plugin", "index.js"), recorderScript)
	return filepath.Join(sdk, "cmd", "run", "index.js")
}

func readRecord(t *testing.T, path string) record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the program was not started (no record): %v", err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("record %s: %v", b, err)
	}
	return r
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]any
		want    options
		wantErr string
	}{
		{name: "no options mean a TypeScript program with no extra node arguments",
			in: nil, want: options{typescript: true}},
		{name: "typescript false turns TypeScript off",
			in: map[string]any{"typescript": false}, want: options{typescript: false}},
		{name: "tsconfig is kept as the path given",
			in:   map[string]any{"tsconfig": "tsconfig.build.json"},
			want: options{typescript: true, tsconfigPath: "tsconfig.build.json"}},
		{name: "nodeargs are split like a shell would, quotes included",
			in: map[string]any{"nodeargs": `--max-old-space-size=4096 --require "./a b.js"`},
			want: options{typescript: true,
				nodeArgs: []string{"--max-old-space-size=4096", "--require", "./a b.js"}}},
		{name: "packagemanager npm is accepted",
			in: map[string]any{"packagemanager": "npm"}, want: options{typescript: true}},
		{name: "packagemanager auto is accepted",
			in: map[string]any{"packagemanager": "auto"}, want: options{typescript: true}},
		{name: "an empty packagemanager is accepted",
			in: map[string]any{"packagemanager": ""}, want: options{typescript: true}},
		{name: "options this host does not know are ignored",
			in: map[string]any{"binary": "dist/index.js"}, want: options{typescript: true}},
		{name: "a typescript that is not a boolean is refused",
			in: map[string]any{"typescript": "yes"}, wantErr: "runtime option 'typescript' must be a boolean"},
		{name: "a tsconfig that is not a string is refused",
			in: map[string]any{"tsconfig": 3.0}, wantErr: "runtime option 'tsconfig' must be a string"},
		{name: "nodeargs given as a list are refused",
			in: map[string]any{"nodeargs": []any{"--inspect"}}, wantErr: "runtime option 'nodeargs' must be a string"},
		{name: "nodeargs with an unclosed quote are refused",
			in: map[string]any{"nodeargs": `--require "a.js`}, wantErr: "runtime option 'nodeargs': "},
		{name: "packagemanager yarn is refused, naming npm",
			in:      map[string]any{"packagemanager": "yarn"},
			wantErr: `runtime option 'packagemanager' is "yarn": this language host supports npm only`},
		{name: "packagemanager pnpm is refused",
			in:      map[string]any{"packagemanager": "pnpm"},
			wantErr: `runtime option 'packagemanager' is "pnpm"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOptions(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseOptionsReadsTheValuesTheEngineSends(t *testing.T) {
	// The engine sends runtime.options as a protobuf Struct; Run and RunPlugin parse AsMap().
	s := mustStruct(t, map[string]any{"typescript": false, "nodeargs": "--no-warnings", "tsconfig": "a.json"})
	got, err := parseOptions(s.AsMap())
	if err != nil {
		t.Fatal(err)
	}
	want := options{typescript: false, tsconfigPath: "a.json", nodeArgs: []string{"--no-warnings"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("options = %+v, want %+v", got, want)
	}
}

func TestOptionsEnv(t *testing.T) {
	tests := []struct {
		name string
		in   options
		want []string
	}{
		{name: "TypeScript programs tell the SDK to use ts-node",
			in: options{typescript: true}, want: []string{"PULUMI_NODEJS_TYPESCRIPT=true"}},
		{name: "JavaScript programs set nothing",
			in: options{typescript: false}, want: nil},
		{name: "a tsconfig path is passed on",
			in:   options{typescript: true, tsconfigPath: "tsconfig.build.json"},
			want: []string{"PULUMI_NODEJS_TYPESCRIPT=true", "PULUMI_NODEJS_TSCONFIG_PATH=tsconfig.build.json"}},
		{name: "node arguments are not environment",
			in: options{typescript: false, nodeArgs: []string{"--no-warnings"}}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.env(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("env = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolveModule(t *testing.T) {
	node := requireNode(t)
	root := tempDir(t)
	writeFile(t, filepath.Join(root, "node_modules", "with-main", "package.json"),
		`{"name": "with-main", "main": "lib/entry.js"}`)
	writeFile(t, filepath.Join(root, "node_modules", "with-main", "lib", "entry.js"), "")
	runScript := fakeSDK(t, root)
	writeFile(t, filepath.Join(root, "node_modules", "broken", "package.json"), `{"main": `)
	program := filepath.Join(root, "programs", "one")
	if err := os.MkdirAll(program, 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		dir     string
		module  string
		want    string
		wantErr string
		notErr  string
	}{
		{name: "a package resolves to the main its package.json names",
			dir: root, module: "with-main", want: filepath.Join(root, "node_modules", "with-main", "lib", "entry.js")},
		{name: "a subpath of a scoped package resolves to its index.js",
			dir: root, module: "@pulumi/pulumi/cmd/run", want: runScript},
		{name: "a program in a subfolder finds node_modules of a parent folder, as node does",
			dir: program, module: "@pulumi/pulumi/cmd/run", want: runScript},
		{name: "a missing module says the SDK is not installed, from where, and what to do",
			dir: program, module: "@pulumi/pulumi/cmd/run-policy-pack",
			wantErr: "could not find @pulumi/pulumi/cmd/run-policy-pack from " + program +
				": the Pulumi SDK is not installed (run npm install)"},
		{name: "a broken package.json reports node's own error, not a missing SDK",
			dir: root, module: "broken", wantErr: "package.json", notErr: "not installed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveModule(node, tt.dir, tt.module, "run npm install")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if tt.notErr != "" && strings.Contains(err.Error(), tt.notErr) {
					t.Fatalf("error = %v, want none containing %q", err, tt.notErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Fatalf("resolved %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolveModuleFailsWhenNodeCannotStart(t *testing.T) {
	_, err := resolveModule(filepath.Join(t.TempDir(), "no-such-node"), t.TempDir(), "x", "hint")
	if err == nil {
		t.Fatal("resolveModule with a missing node binary returned no error")
	}
}

func TestReadPackageJSON(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.json")
	writeFile(t, full, `{"name": "@acme/widgets", "version": "1.2.3",
		"pulumi": {"resource": true, "name": "widgets", "version": "2.0.0", "server": "https://plugins.example.test"},
		"dependencies": {"@pulumi/pulumi": "^3.0.0"}, "devDependencies": {"typescript": "^5.0.0"}}`)
	malformed := filepath.Join(dir, "malformed.json")
	writeFile(t, malformed, `{"name": `)

	t.Run("reads name, version, the pulumi field and both dependency lists", func(t *testing.T) {
		p, err := readPackageJSON(full)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "@acme/widgets" || p.Version != "1.2.3" {
			t.Fatalf("name/version = %q/%q", p.Name, p.Version)
		}
		if !p.Pulumi.Resource || p.Pulumi.Name != "widgets" || p.Pulumi.Version != "2.0.0" ||
			p.Pulumi.Server != "https://plugins.example.test" {
			t.Fatalf("pulumi = %+v", p.Pulumi)
		}
		if p.Dependencies["@pulumi/pulumi"] != "^3.0.0" || p.DevDependencies["typescript"] != "^5.0.0" {
			t.Fatalf("dependencies = %v, devDependencies = %v", p.Dependencies, p.DevDependencies)
		}
	})
	t.Run("a missing file is reported as not existing", func(t *testing.T) {
		_, err := readPackageJSON(filepath.Join(dir, "absent.json"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("error = %v, want os.ErrNotExist", err)
		}
	})
	t.Run("malformed JSON is an error naming the file", func(t *testing.T) {
		_, err := readPackageJSON(malformed)
		if err == nil || !strings.Contains(err.Error(), malformed) {
			t.Fatalf("error = %v, want one naming %s", err, malformed)
		}
	})
}

// programWithPlugins lays out a program whose node_modules holds every kind of package
// findPackages must tell apart, and returns its directory.
func programWithPlugins(t *testing.T) string {
	t.Helper()
	dir := tempDir(t)
	nm := filepath.Join(dir, "node_modules")
	// The program's own package.json is not a dependency, whatever it says.
	writeFile(t, filepath.Join(dir, "package.json"),
		`{"name": "@pulumi/program", "version": "1.0.0", "pulumi": {"resource": true}}`)
	writeFile(t, filepath.Join(nm, "@pulumi", "pulumi", "package.json"),
		`{"name": "@pulumi/pulumi", "version": "3.200.0"}`)
	writeFile(t, filepath.Join(nm, "@pulumi", "kubernetes", "package.json"),
		`{"name": "@pulumi/kubernetes", "version": "4.25.0", "pulumi": {"resource": true}}`)
	writeFile(t, filepath.Join(nm, "@acme", "widgets", "package.json"),
		`{"name": "@acme/widgets", "version": "1.2.3", "pulumi": {"resource": true, "name": "widgets",
		  "version": "2.0.0", "server": "https://plugins.example.test"}}`)
	writeFile(t, filepath.Join(nm, "left-pad", "package.json"), `{"name": "left-pad", "version": "1.3.0"}`)
	writeFile(t, filepath.Join(nm, "some-lib", "node_modules", "@pulumi", "random", "package.json"),
		`{"name": "@pulumi/random", "version": "v4.16.0", "pulumi": {"resource": true}}`)
	writeFile(t, filepath.Join(nm, "aws-tf", "package.json"),
		`{"name": "aws-tf", "version": "0.0.1", "pulumi": {"resource": true, "name": "terraform-provider",
		  "version": "0.10.0", "parameterization": {"name": "aws", "version": "5.0.0", "value": "e30="}}}`)
	// A policy pack inside the program brings its own plugins, which are not the program's.
	writeFile(t, filepath.Join(dir, "policy", "PulumiPolicy.yaml"), "runtime: nodejs\n")
	writeFile(t, filepath.Join(dir, "policy", "node_modules", "@pulumi", "aws", "package.json"),
		`{"name": "@pulumi/aws", "version": "6.0.0", "pulumi": {"resource": true}}`)
	return dir
}

func wantProgramPackages() []*pulumirpc.PackageDependency {
	return []*pulumirpc.PackageDependency{
		{Name: "kubernetes", Kind: "resource", Version: "v4.25.0"},
		{Name: "random", Kind: "resource", Version: "v4.16.0"},
		{Name: "terraform-provider", Kind: "resource", Version: "v0.10.0",
			Parameterization: &pulumirpc.PackageParameterization{Name: "aws", Version: "5.0.0", Value: []byte("{}")}},
		{Name: "widgets", Kind: "resource", Version: "v2.0.0", Server: "https://plugins.example.test"},
	}
}

func sortedByName[T interface{ GetName() string }](xs []T) []T {
	out := append([]T{}, xs...)
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

func assertMessages[T proto.Message](t *testing.T, got, want []T) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = proto.Equal(got[i], want[i])
	}
	if !same {
		show := func(xs []T) string {
			var s []string
			for _, x := range xs {
				s = append(s, "{"+prototext.MarshalOptions{}.Format(x)+"}")
			}
			return strings.Join(s, "\n  ")
		}
		t.Fatalf("got\n  %s\nwant\n  %s", show(got), show(want))
	}
}

func TestFindPackages(t *testing.T) {
	t.Run("finds resource packages in node_modules: @pulumi ones by name, third-party ones by pulumi.name, "+
		"nested ones, parameterized ones; skips the program itself, non-plugins and a policy pack's plugins",
		func(t *testing.T) {
			got, err := findPackages(programWithPlugins(t))
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			assertMessages(t, sortedByName(got), wantProgramPackages())
		})

	t.Run("the plugin version comes from pulumi.version, else the package version, with a leading v", func(t *testing.T) {
		dir := tempDir(t)
		writeFile(t, filepath.Join(dir, "node_modules", "@pulumi", "a", "package.json"),
			`{"name": "@pulumi/a", "version": "1.0.0", "pulumi": {"resource": true, "version": "1.0.0-alpha.1"}}`)
		writeFile(t, filepath.Join(dir, "node_modules", "@pulumi", "b", "package.json"),
			`{"name": "@pulumi/b", "pulumi": {"resource": true}}`)
		got, err := findPackages(dir)
		if err != nil {
			t.Fatal(err)
		}
		assertMessages(t, sortedByName(got), []*pulumirpc.PackageDependency{
			{Name: "a", Kind: "resource", Version: "v1.0.0-alpha.1"},
			{Name: "b", Kind: "resource", Version: ""},
		})
	})

	t.Run("a third-party package without pulumi.name is an error naming it, and the others are still found", func(t *testing.T) {
		dir := tempDir(t)
		bad := filepath.Join(dir, "node_modules", "acme-thing", "package.json")
		writeFile(t, bad, `{"name": "acme-thing", "version": "1.0.0", "pulumi": {"resource": true}}`)
		writeFile(t, filepath.Join(dir, "node_modules", "@pulumi", "kubernetes", "package.json"),
			`{"name": "@pulumi/kubernetes", "version": "4.25.0", "pulumi": {"resource": true}}`)
		got, err := findPackages(dir)
		if err == nil || !strings.Contains(err.Error(), bad+": third-party package without pulumi.name") {
			t.Fatalf("error = %v, want one naming %s", err, bad)
		}
		assertMessages(t, got, []*pulumirpc.PackageDependency{{Name: "kubernetes", Kind: "resource", Version: "v4.25.0"}})
	})

	t.Run("a malformed package.json is an error naming it, and the others are still found", func(t *testing.T) {
		dir := tempDir(t)
		bad := filepath.Join(dir, "node_modules", "broken", "package.json")
		writeFile(t, bad, `{"name": `)
		writeFile(t, filepath.Join(dir, "node_modules", "@pulumi", "kubernetes", "package.json"),
			`{"name": "@pulumi/kubernetes", "version": "4.25.0", "pulumi": {"resource": true}}`)
		got, err := findPackages(dir)
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("error = %v, want one naming %s", err, bad)
		}
		assertMessages(t, got, []*pulumirpc.PackageDependency{{Name: "kubernetes", Kind: "resource", Version: "v4.25.0"}})
	})

	t.Run("a linked package is followed once, and a symlink cycle ends", func(t *testing.T) {
		dir := tempDir(t)
		linked := filepath.Join(dir, "packages", "widgets")
		writeFile(t, filepath.Join(linked, "package.json"),
			`{"name": "@pulumi/widgets", "version": "0.1.0", "pulumi": {"resource": true}}`)
		if err := os.MkdirAll(filepath.Join(dir, "node_modules", "@pulumi"), 0o755); err != nil {
			t.Fatal(err)
		}
		// npm workspaces link packages into node_modules; the same package linked twice counts once.
		for _, name := range []string{"widgets", "widgets-again"} {
			if err := os.Symlink(linked, filepath.Join(dir, "node_modules", "@pulumi", name)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(filepath.Join(dir, "node_modules"), filepath.Join(linked, "loop")); err != nil {
			t.Fatal(err)
		}
		got, err := findPackages(dir)
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		assertMessages(t, got, []*pulumirpc.PackageDependency{{Name: "widgets", Kind: "resource", Version: "v0.1.0"}})
	})

	t.Run("a program without node_modules needs no plugins", func(t *testing.T) {
		dir := tempDir(t)
		writeFile(t, filepath.Join(dir, "package.json"), `{"name": "program"}`)
		got, err := findPackages(dir)
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v; want nothing and no error", got, err)
		}
	})

	t.Run("a missing program directory is an error", func(t *testing.T) {
		_, err := findPackages(filepath.Join(t.TempDir(), "absent"))
		if err == nil {
			t.Fatal("no error for a missing directory")
		}
	})
}

func TestGetRequiredPackagesListsTheProgramsResourcePackages(t *testing.T) {
	dir := programWithPlugins(t)
	resp, err := newHost("", "").GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir, RootDirectory: dir, EntryPoint: "."},
	})
	if err != nil {
		t.Fatal(err)
	}
	assertMessages(t, sortedByName(resp.GetPackages()), wantProgramPackages())
}

func TestGetRequiredPackagesAnswersWithWhatItFoundDespiteBrokenPackages(t *testing.T) {
	dir := programWithPlugins(t)
	writeFile(t, filepath.Join(dir, "node_modules", "broken", "package.json"), `{`)
	resp, err := newHost("", "").GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir},
	})
	if err != nil {
		t.Fatalf("a broken package failed the call: %v", err)
	}
	assertMessages(t, sortedByName(resp.GetPackages()), wantProgramPackages())
}

func TestGetRequiredPlugins(t *testing.T) {
	dir := programWithPlugins(t)
	want := []*pulumirpc.PluginDependency{
		{Name: "kubernetes", Kind: "resource", Version: "v4.25.0"},
		{Name: "random", Kind: "resource", Version: "v4.16.0"},
		{Name: "terraform-provider", Kind: "resource", Version: "v0.10.0"},
		{Name: "widgets", Kind: "resource", Version: "v2.0.0", Server: "https://plugins.example.test"},
	}
	tests := []struct {
		name string
		req  *pulumirpc.GetRequiredPluginsRequest
	}{
		{name: "reads the program directory of the program info",
			req: &pulumirpc.GetRequiredPluginsRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir}}},
		{name: "falls back to the program field of engines that send no program info",
			req: &pulumirpc.GetRequiredPluginsRequest{Program: dir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := newHost("", "").GetRequiredPlugins(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			assertMessages(t, sortedByName(resp.GetPlugins()), want)
		})
	}
}

func TestGetPluginInfoReportsTheBuildVersion(t *testing.T) {
	old := version
	version = "3.260.0+agentstorage.test"
	t.Cleanup(func() { version = old })
	info, err := newHost("", "").GetPluginInfo(context.Background(), &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetVersion() != "3.260.0+agentstorage.test" {
		t.Fatalf("version = %q", info.GetVersion())
	}
}

func TestCodeGenerationIsUnimplemented(t *testing.T) {
	h := newHost("", "")
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		what string
	}{
		{name: "GenerateProject", what: "GenerateProject (pulumi convert/new from a program)", call: func() error {
			_, err := h.GenerateProject(ctx, &pulumirpc.GenerateProjectRequest{})
			return err
		}},
		{name: "GeneratePackage", what: "GeneratePackage (SDK generation)", call: func() error {
			_, err := h.GeneratePackage(ctx, &pulumirpc.GeneratePackageRequest{})
			return err
		}},
		{name: "GenerateProgram", what: "GenerateProgram (pulumi convert)", call: func() error {
			_, err := h.GenerateProgram(ctx, &pulumirpc.GenerateProgramRequest{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" answers Unimplemented, naming the call and the docs", func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != codes.Unimplemented {
				t.Fatalf("code = %v (%v), want Unimplemented", status.Code(err), err)
			}
			msg := status.Convert(err).Message()
			if !strings.HasPrefix(msg, tt.what+" is not supported") || !strings.Contains(msg, "docs/toolchain.md") {
				t.Fatalf("message = %q", msg)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	t.Run("records the engine address the engine announces", func(t *testing.T) {
		h := newHost("", "")
		if _, err := h.Handshake(context.Background(),
			&pulumirpc.LanguageHandshakeRequest{EngineAddress: "127.0.0.1:40001"}); err != nil {
			t.Fatal(err)
		}
		if got := h.engine(); got != "127.0.0.1:40001" {
			t.Fatalf("engine address = %q", got)
		}
	})
	t.Run("an address the health check cannot dial is an error", func(t *testing.T) {
		_, err := newHost("", "").Handshake(context.Background(),
			&pulumirpc.LanguageHandshakeRequest{EngineAddress: "%zz"})
		if err == nil || !strings.Contains(err.Error(), "could not start the health check of the engine") {
			t.Fatalf("error = %v", err)
		}
	})
}

// runEnv prepares the environment Run passes on to the program, and returns the record path.
func runEnv(t *testing.T, exit string) string {
	t.Helper()
	for _, k := range []string{"PULUMI_LANGUAGE_NODEJS_RUN_PATH", "PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS",
		"PULUMI_NODEJS_TYPESCRIPT", "PULUMI_NODEJS_TSCONFIG_PATH"} {
		unsetEnv(t, k)
	}
	rec := filepath.Join(t.TempDir(), "record.json")
	t.Setenv("LANGHOST_TEST_RECORD", rec)
	t.Setenv("LANGHOST_TEST_EXIT", exit)
	return rec
}

func TestRunStartsTheSDKRunScriptWithTheEnginesRequest(t *testing.T) {
	requireNode(t)
	dir := tempDir(t)
	runScript := fakeSDK(t, dir)

	tests := []struct {
		name         string
		host         *host
		req          *pulumirpc.RunRequest
		wantArgv     []string
		wantExecArgv []string
		wantEnv      map[string]string
	}{
		{
			name: "every field of the request becomes a flag, then the entry point and the program's arguments",
			host: newHost("127.0.0.1:7001", "file:./up.trace"),
			req: &pulumirpc.RunRequest{
				MonitorAddress: "127.0.0.1:7002", Organization: "acme", Project: "agent-storage", Stack: "dev",
				DryRun: true, Parallel: 16, Args: []string{"extra", "--x"},
				Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir, RootDirectory: filepath.Dir(dir), EntryPoint: "index.ts"},
			},
			wantArgv: []string{"--monitor", "127.0.0.1:7002", "--engine", "127.0.0.1:7001", "--organization", "acme",
				"--project", "agent-storage", "--root-directory", filepath.Dir(dir), "--stack", "dev", "--pwd", dir,
				"--dry-run", "--parallel", "16", "--tracing", "file:./up.trace", "index.ts", "extra", "--x"},
			wantExecArgv: []string{},
			wantEnv: map[string]string{"PULUMI_CONFIG": "{}", "PULUMI_CONFIG_SECRET_KEYS": "[]",
				"PULUMI_NODEJS_TYPESCRIPT": "true"},
		},
		{
			name:         "empty fields are left out and no entry point means the program directory's package",
			host:         newHost("", ""),
			req:          &pulumirpc.RunRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir}},
			wantArgv:     []string{"--pwd", dir, "--parallel", "0", "."},
			wantExecArgv: []string{},
			wantEnv: map[string]string{"PULUMI_CONFIG": "{}", "PULUMI_CONFIG_SECRET_KEYS": "[]",
				"PULUMI_NODEJS_TYPESCRIPT": "true"},
		},
		{
			name: "config keys reach the SDK as namespace:config:name, secret keys as sent",
			host: newHost("", ""),
			req: &pulumirpc.RunRequest{
				Config: map[string]string{"agent-storage:target": "kind", "kubernetes:context": "kind-dev",
					"agent-storage:config:old": "kept"},
				ConfigSecretKeys: []string{"agent-storage:target"},
				Info:             &pulumirpc.ProgramInfo{ProgramDirectory: dir},
			},
			wantArgv:     []string{"--pwd", dir, "--parallel", "0", "."},
			wantExecArgv: []string{},
			wantEnv: map[string]string{
				"PULUMI_CONFIG": `{"agent-storage:config:old":"kept","agent-storage:config:target":"kind",` +
					`"kubernetes:config:context":"kind-dev"}`,
				"PULUMI_CONFIG_SECRET_KEYS": `["agent-storage:target"]`,
				"PULUMI_NODEJS_TYPESCRIPT":  "true"},
		},
		{
			name: "runtime options: nodeargs go to node before the run script, typescript and tsconfig to the SDK",
			host: newHost("", ""),
			req: &pulumirpc.RunRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir,
				Options: mustStruct(t, map[string]any{"nodeargs": "--no-warnings --max-old-space-size=512",
					"typescript": false, "tsconfig": "tsconfig.build.json"})}},
			wantArgv:     []string{"--pwd", dir, "--parallel", "0", "."},
			wantExecArgv: []string{"--no-warnings", "--max-old-space-size=512"},
			wantEnv: map[string]string{"PULUMI_CONFIG": "{}", "PULUMI_CONFIG_SECRET_KEYS": "[]",
				"PULUMI_NODEJS_TSCONFIG_PATH": "tsconfig.build.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := runEnv(t, "0")
			resp, err := tt.host.Run(context.Background(), tt.req)
			if err != nil || resp.GetError() != "" || resp.GetBail() {
				t.Fatalf("Run = %v, %v; want success", resp, err)
			}
			r := readRecord(t, rec)
			if r.Script != runScript {
				t.Errorf("script = %q, want %q", r.Script, runScript)
			}
			if r.Cwd != dir {
				t.Errorf("working directory = %q, want the program directory %q", r.Cwd, dir)
			}
			if !reflect.DeepEqual(r.Argv, tt.wantArgv) {
				t.Errorf("arguments =\n  %q\nwant\n  %q", r.Argv, tt.wantArgv)
			}
			if !reflect.DeepEqual(r.ExecArgv, tt.wantExecArgv) {
				t.Errorf("node arguments = %q, want %q", r.ExecArgv, tt.wantExecArgv)
			}
			if !reflect.DeepEqual(r.Env, tt.wantEnv) {
				t.Errorf("environment = %v, want %v", r.Env, tt.wantEnv)
			}
		})
	}
}

func TestRunPassesTheHandshakesEngineAddress(t *testing.T) {
	requireNode(t)
	dir := tempDir(t)
	fakeSDK(t, dir)
	rec := runEnv(t, "0")
	h := newHost("", "")
	if _, err := h.Handshake(context.Background(),
		&pulumirpc.LanguageHandshakeRequest{EngineAddress: "127.0.0.1:40002"}); err != nil {
		t.Fatal(err)
	}
	if resp, err := h.Run(context.Background(), &pulumirpc.RunRequest{
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir}}); err != nil || resp.GetError() != "" {
		t.Fatalf("Run = %v, %v", resp, err)
	}
	want := []string{"--engine", "127.0.0.1:40002", "--pwd", dir, "--parallel", "0", "."}
	if got := readRecord(t, rec).Argv; !reflect.DeepEqual(got, want) {
		t.Fatalf("arguments = %q, want %q", got, want)
	}
}

func TestRunUsesTheRunScriptOverride(t *testing.T) {
	requireNode(t)
	dir := tempDir(t)
	fakeSDK(t, dir)
	custom := filepath.Join(dir, "node_modules", "custom-runner", "index.js")
	writeFile(t, custom, recorderScript)
	rec := runEnv(t, "0")
	t.Setenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH", "custom-runner")
	if resp, err := newHost("", "").Run(context.Background(), &pulumirpc.RunRequest{
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir}}); err != nil || resp.GetError() != "" {
		t.Fatalf("Run = %v, %v", resp, err)
	}
	if got := readRecord(t, rec).Script; got != custom {
		t.Fatalf("script = %q, want the override %q", got, custom)
	}
}

func TestRunReportsHowTheProgramEnded(t *testing.T) {
	requireNode(t)
	dir := tempDir(t)
	fakeSDK(t, dir)
	tests := []struct {
		name      string
		exit      string
		wantError string
		wantBail  bool
	}{
		{name: "exit 0 is success", exit: "0"},
		{name: "exit 32 (the user already got an actionable message) bails without an error", exit: "32", wantBail: true},
		{name: "another exit code is an error stating it", exit: "7",
			wantError: "Program exited with non-zero exit code: 7"},
		{name: "a program killed by a signal is reported as stopped", exit: "kill",
			wantError: "the Node.js program was stopped: signal: killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runEnv(t, tt.exit)
			resp, err := newHost("", "").Run(context.Background(), &pulumirpc.RunRequest{
				Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir}})
			if err != nil {
				t.Fatalf("Run returned a gRPC error: %v", err)
			}
			if resp.GetError() != tt.wantError || resp.GetBail() != tt.wantBail {
				t.Fatalf("response = {error: %q, bail: %v}, want {error: %q, bail: %v}",
					resp.GetError(), resp.GetBail(), tt.wantError, tt.wantBail)
			}
		})
	}
}

func TestRunRefusesBeforeStartingTheProgram(t *testing.T) {
	requireNode(t)
	withSDK := tempDir(t)
	fakeSDK(t, withSDK)
	withoutSDK := tempDir(t)
	cancelled := newHost("", "")
	if _, err := cancelled.Cancel(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		host      *host
		req       *pulumirpc.RunRequest
		wantError string
	}{
		{name: "a request without program information", host: newHost("", ""),
			req: &pulumirpc.RunRequest{}, wantError: "the engine sent no program information"},
		{name: "a runtime option of the wrong type", host: newHost("", ""),
			req: &pulumirpc.RunRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: withSDK,
				Options: mustStruct(t, map[string]any{"typescript": "no"})}},
			wantError: "runtime option 'typescript' must be a boolean"},
		{name: "a program directory without the Pulumi SDK", host: newHost("", ""),
			req: &pulumirpc.RunRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: withoutSDK}},
			wantError: "could not find @pulumi/pulumi/cmd/run from " + withoutSDK +
				": the Pulumi SDK is not installed (run npm install)"},
		{name: "a config key without a namespace", host: newHost("", ""),
			req: &pulumirpc.RunRequest{Config: map[string]string{"target": "kind"},
				Info: &pulumirpc.ProgramInfo{ProgramDirectory: withSDK}},
			wantError: `config key "target": could not parse target as a configuration key`},
		{name: "a host the engine has cancelled", host: cancelled,
			req:       &pulumirpc.RunRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: withSDK}},
			wantError: "could not run node: context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := runEnv(t, "0")
			resp, err := tt.host.Run(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Run returned a gRPC error: %v", err)
			}
			if !strings.HasPrefix(resp.GetError(), tt.wantError) {
				t.Fatalf("error = %q, want one starting %q", resp.GetError(), tt.wantError)
			}
			if _, err := os.Stat(rec); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the program was started (record: %v)", err)
			}
		})
	}
}

func TestGetProgramDependencies(t *testing.T) {
	dir := tempDir(t)
	writeFile(t, filepath.Join(dir, "package.json"), `{"name": "program",
		"dependencies": {"@pulumi/pulumi": "^3.0.0", "left-pad": "^1.0.0"},
		"devDependencies": {"typescript": "^5.0.0"}}`)
	writeFile(t, filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "package.json"),
		`{"name": "@pulumi/pulumi", "version": "3.200.0"}`)
	tests := []struct {
		name       string
		transitive bool
		want       []*pulumirpc.DependencyInfo
	}{
		{name: "lists the dependencies sorted, at the installed version or else as declared",
			want: []*pulumirpc.DependencyInfo{{Name: "@pulumi/pulumi", Version: "3.200.0"}, {Name: "left-pad", Version: "^1.0.0"}}},
		{name: "with transitive dependencies asked for, includes the dev dependencies", transitive: true,
			want: []*pulumirpc.DependencyInfo{{Name: "@pulumi/pulumi", Version: "3.200.0"},
				{Name: "left-pad", Version: "^1.0.0"}, {Name: "typescript", Version: "^5.0.0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := newHost("", "").GetProgramDependencies(context.Background(),
				&pulumirpc.GetProgramDependenciesRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir},
					TransitiveDependencies: tt.transitive})
			if err != nil {
				t.Fatal(err)
			}
			assertMessages(t, resp.GetDependencies(), tt.want)
		})
	}
	t.Run("a program without package.json is an error saying so", func(t *testing.T) {
		_, err := newHost("", "").GetProgramDependencies(context.Background(),
			&pulumirpc.GetProgramDependenciesRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: t.TempDir()}})
		if err == nil || !strings.Contains(err.Error(), "could not read the program's package.json") {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestAboutReportsNodeNpmAndTheProgramsTypeScript(t *testing.T) {
	node := requireNode(t)
	dir := tempDir(t)
	writeFile(t, filepath.Join(dir, "node_modules", "typescript", "package.json"),
		`{"name": "typescript", "version": "5.9.99"}`)
	resp, err := newHost("", "").About(context.Background(),
		&pulumirpc.AboutRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetExecutable() != node || resp.GetVersion() != strings.TrimSpace(string(out)) {
		t.Errorf("executable/version = %q/%q, want %q/%q", resp.GetExecutable(), resp.GetVersion(), node, out)
	}
	if m := resp.GetMetadata(); m["packagemanager"] != "npm" || m["typescriptVersion"] != "5.9.99" {
		t.Errorf("metadata = %v", m)
	}
}

func TestCancelStopsTheHostsContext(t *testing.T) {
	h := newHost("", "")
	if err := h.cancelCtx.Err(); err != nil {
		t.Fatalf("a new host is already cancelled: %v", err)
	}
	if _, err := h.Cancel(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(h.cancelCtx.Err(), context.Canceled) {
		t.Fatalf("context error after Cancel = %v", h.cancelCtx.Err())
	}
}

// serve runs h as a real gRPC server (the streaming calls need one) and returns a client.
func serve(t *testing.T, h *host) pulumirpc.LanguageRuntimeClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pulumirpc.RegisterLanguageRuntimeServer(srv, h)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pulumirpc.NewLanguageRuntimeClient(conn)
}

func TestInstallDependenciesLeavesAnInstalledProgramAlone(t *testing.T) {
	dir := tempDir(t)
	writeFile(t, filepath.Join(dir, "package.json"), `{"name": "program"}`)
	if err := os.MkdirAll(filepath.Join(dir, "node_modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	stream, err := serve(t, newHost("", "")).InstallDependencies(context.Background(),
		&pulumirpc.InstallDependenciesRequest{Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir}})
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("InstallDependencies failed: %v", err)
		}
		stdout.Write(msg.GetStdout())
	}
	if want := "node_modules already present in " + dir + ": nothing to install"; !strings.Contains(stdout.String(), want) {
		t.Fatalf("output = %q, want it to contain %q", stdout.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("npm ran (package-lock.json: %v)", err)
	}
}

func TestRunPluginStartsTheSDKPluginRunner(t *testing.T) {
	requireNode(t)
	dir := tempDir(t)
	fakeSDK(t, dir)
	runPlugin := filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin", "index.js")
	pwd := tempDir(t)
	unsetEnv(t, "PULUMI_LANGUAGE_NODEJS_RUN_PATH")

	run := func(t *testing.T, exit string) (record, error) {
		rec := filepath.Join(t.TempDir(), "record.json")
		stream, err := serve(t, newHost("", "")).RunPlugin(context.Background(), &pulumirpc.RunPluginRequest{
			Name: "widgets", Kind: "resource", Pwd: pwd, Args: []string{"--flag", "value"},
			Env: []string{"LANGHOST_TEST_RECORD=" + rec, "LANGHOST_TEST_EXIT=" + exit, "LANGHOST_TEST_FROM_REQUEST=yes"},
			Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir,
				Options: mustStruct(t, map[string]any{"typescript": false})},
		})
		if err != nil {
			t.Fatal(err)
		}
		for {
			_, err := stream.Recv()
			if err == io.EOF {
				return readRecord(t, rec), nil
			}
			if err != nil {
				return record{}, err
			}
		}
	}

	t.Run("runs run-plugin from pwd with the plugin directory, then its arguments, in the request's environment",
		func(t *testing.T) {
			r, err := run(t, "0")
			if err != nil {
				t.Fatalf("RunPlugin failed: %v", err)
			}
			wantArgv := []string{dir, "--flag", "value"}
			if r.Script != runPlugin || r.Cwd != pwd || !reflect.DeepEqual(r.Argv, wantArgv) {
				t.Fatalf("started %q in %q with %q; want %q in %q with %q", r.Script, r.Cwd, r.Argv, runPlugin, pwd, wantArgv)
			}
			if want := map[string]string{"LANGHOST_TEST_FROM_REQUEST": "yes"}; !reflect.DeepEqual(r.Env, want) {
				t.Fatalf("environment = %v, want only the request's %v", r.Env, want)
			}
		})
	t.Run("a plugin that exits non-zero is an error naming it and the code", func(t *testing.T) {
		_, err := run(t, "3")
		if err == nil || !strings.Contains(status.Convert(err).Message(), "plugin widgets exited with code 3") {
			t.Fatalf("error = %v", err)
		}
	})
}
