// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi engine,
// written for this project.
//
// Why it exists: upstream's language host is its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the Go module proxy
// this project can reach serves no version of it, so it cannot be built from modules here.
// Everything it needs to talk to the engine (the gRPC protocol, the plugin streams, the
// policy-pack proxy) is in the sdk/v3 module, which the proxy does serve, pinned in go.mod.
//
// What it does, enough for `pulumi preview|up|destroy|refresh` of a TypeScript program and
// for policy packs:
//   - Handshake / health check with the engine;
//   - GetRequiredPackages: walks node_modules for package.json files with
//     {"pulumi": {"resource": true}} (the provider plugins the program needs);
//   - Run: starts `node @pulumi/pulumi/cmd/run ... <entry point>` from the program directory,
//     with the monitor/engine addresses, project, stack, dry-run and config the engine sends;
//   - RunPlugin: starts Node.js plugins and policy packs (@pulumi/pulumi/cmd/run-plugin and
//     run-policy-pack), streaming their output back to the engine;
//   - InstallDependencies (npm install when node_modules is missing), About,
//     GetProgramDependencies, GetPluginInfo, Cancel.
//
// What it does not do (upstream features this project does not use): the synchronous-invoke
// pipes of old SDKs (the deprecated *Sync invokes), bun, yarn/pnpm detection, debugger
// attachment, code generation (GenerateProject/Program/Package), Pack and Link.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/shlex"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "0.0.0-dev"

// Exit code with which @pulumi/pulumi's run script says "the user already got an actionable
// message"; the engine then bails out without printing more.
const exitAfterActionableMessage = 32

func main() {
	var engineAddress, tracing string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-version" || a == "--version":
			fmt.Println(version)
			return
		case a == "-tracing" || a == "--tracing":
			if i+1 < len(args) {
				tracing = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "-tracing=") || strings.HasPrefix(a, "--tracing="):
			tracing = a[strings.Index(a, "=")+1:]
		case a == "-runtime" || a == "--runtime":
			if i+1 < len(args) {
				if args[i+1] != "nodejs" {
					fatalf("unsupported runtime %q: this language host runs Node.js only", args[i+1])
				}
				i++
			}
		case strings.HasPrefix(a, "-"):
			// Logging flags the engine passes to every plugin (--logtostderr, -v=N, ...).
		default:
			engineAddress = a
		}
	}
	logging.InitLogging(false, 0, false)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelChannel)
	}()

	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			fatalf("could not start the health check of the engine: %v", err)
		}
	}

	host := newHost(engineAddress, tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fatalf("could not start the language host RPC server: %v", err)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fatalf("language host RPC server stopped: %v", err)
	}
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", a...)
	os.Exit(1)
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
	cancelCtx     context.Context
	cancel        context.CancelFunc
}

func newHost(engineAddress, tracing string) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{engineAddress: engineAddress, tracing: tracing, cancelCtx: ctx, cancel: cancel}
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *host) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.EngineAddress
	h.mu.Unlock()
	hcCtx, cancel := context.WithCancel(context.Background())
	if err := rpcutil.Healthcheck(hcCtx, req.EngineAddress, 5*time.Minute, cancel); err != nil {
		cancel()
		return nil, fmt.Errorf("could not start the health check of the engine: %w", err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

// options are the `runtime.options` of Pulumi.yaml that this host understands.
type options struct {
	typescript   bool
	tsconfigPath string
	nodeArgs     []string
}

func parseOptions(m map[string]any) (options, error) {
	o := options{typescript: true}
	if v, ok := m["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return o, errors.New("runtime option 'typescript' must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("runtime option 'tsconfig' must be a string")
		}
		o.tsconfigPath = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("runtime option 'nodeargs' must be a string")
		}
		a, err := shlex.Split(s)
		if err != nil {
			return o, fmt.Errorf("runtime option 'nodeargs': %w", err)
		}
		o.nodeArgs = a
	}
	if v, ok := m["packagemanager"]; ok {
		if s, _ := v.(string); s != "" && s != "npm" && s != "auto" {
			return o, fmt.Errorf("runtime option 'packagemanager' is %q: this language host supports npm only", s)
		}
	}
	return o, nil
}

func (o options) env() []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfigPath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfigPath)
	}
	return env
}

// resolveModule finds a module (for example "@pulumi/pulumi/cmd/run") the way the program
// would, with Node's own resolution from dir.
func resolveModule(node, dir, module, hint string) (string, error) {
	script := "try { console.log(require.resolve(" + strconv.Quote(module) + ")) } catch (e) { " +
		"console.error(e.code === 'MODULE_NOT_FOUND' ? " +
		strconv.Quote("could not find "+module+" from "+dir+": the Pulumi SDK is not installed ("+hint+")") +
		" : e.message); process.exit(1) }"
	cmd := exec.Command(node, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", errors.New(strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return &pulumirpc.RunResponse{Error: "the engine sent no program information"}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the PATH: install Node.js 20 or newer"}, nil
	}
	opts, err := parseOptions(info.GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = "@pulumi/pulumi/cmd/run"
	}
	runPath, err = resolveModule(node, info.GetProgramDirectory(), runPath, "run npm install")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := append([]string{}, opts.nodeArgs...)
	args = append(args, runPath)
	flag := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.engine())
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", info.GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	flag("tracing", h.tracing)
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	// Config keys go to the SDK in the old "<namespace>:config:<name>" form, which every
	// @pulumi/pulumi version understands.
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("config key %q: %v", k, err)}, nil
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, _ := json.Marshal(cfg)
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, _ := json.Marshal(secretKeys)

	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	env = append(env, opts.env()...)

	runCtx, cancel := context.WithCancel(h.cancelCtx)
	defer cancel()
	context.AfterFunc(ctx, cancel)
	cmd := exec.CommandContext(runCtx, node, args...)
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = info.GetProgramDirectory()
	cmd.Env = env
	// Node may switch its stdio to non-blocking mode; never hand it our own file descriptors.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	logging.V(5).Infof("pulumi-language-nodejs: running %s %s", node, strings.Join(args, " "))

	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			switch code := ee.ExitCode(); code {
			case exitAfterActionableMessage:
				return &pulumirpc.RunResponse{Bail: true}, nil
			case -1:
				return &pulumirpc.RunResponse{Error: "the Node.js program was stopped: " + ee.Error()}, nil
			default:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
			}
		}
		return &pulumirpc.RunResponse{Error: "could not run node: " + err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// packageJSON is the part of a package.json this host reads.
type packageJSON struct {
	Name            string                  `json:"name"`
	Version         string                  `json:"version"`
	Pulumi          plugin.PulumiPluginJSON `json:"pulumi"`
	Dependencies    map[string]string       `json:"dependencies"`
	DevDependencies map[string]string       `json:"devDependencies"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// findPackages walks dir's node_modules (deeply) for Pulumi resource packages.
func findPackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	var out []*pulumirpc.PackageDependency
	var errs []error
	seen := map[string]bool{}
	var walk func(dir string, inNodeModules bool)
	walk = func(dir string, inNodeModules bool) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if seen[real] {
			return
		}
		seen[real] = true
		entries, err := os.ReadDir(real)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, e := range entries {
			p := filepath.Join(real, e.Name())
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				if fi, err := os.Stat(p); err == nil {
					isDir = fi.IsDir()
				}
			}
			if isDir {
				// Plugins a nested policy pack uses are not the program's.
				if pp, _ := workspace.DetectPolicyPackPathAt(p); pp != "" {
					continue
				}
				walk(p, inNodeModules || filepath.Base(real) == "node_modules")
				continue
			}
			if !inNodeModules || e.Name() != "package.json" {
				continue
			}
			pkg, err := readPackageJSON(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !pkg.Pulumi.Resource {
				continue
			}
			name := pkg.Pulumi.Name
			if name == "" {
				if !strings.HasPrefix(pkg.Name, "@pulumi/") {
					errs = append(errs, fmt.Errorf("%s: third-party package without pulumi.name", p))
					continue
				}
				name = strings.TrimPrefix(pkg.Name, "@pulumi/")
			}
			v := pkg.Pulumi.Version
			if v == "" {
				v = pkg.Version
			}
			if v != "" && !strings.HasPrefix(v, "v") {
				v = "v" + v
			}
			dep := &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: v, Server: pkg.Pulumi.Server}
			if pz := pkg.Pulumi.Parameterization; pz != nil {
				dep.Parameterization = &pulumirpc.PackageParameterization{
					Name: pz.Name, Version: pz.Version, Value: pz.Value,
				}
			}
			out = append(out, dep)
		}
	}
	walk(dir, false)
	return out, errors.Join(errs...)
}

func (h *host) GetRequiredPackages(ctx context.Context,
	req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := findPackages(req.GetInfo().GetProgramDirectory())
	if err != nil {
		logging.V(3).Infof("pulumi-language-nodejs: while looking for plugins: %v", err)
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

func (h *host) GetRequiredPlugins(ctx context.Context,
	req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetProgram()
	}
	pkgs, err := findPackages(dir)
	if err != nil {
		logging.V(3).Infof("pulumi-language-nodejs: while looking for plugins: %v", err)
	}
	var plugins []*pulumirpc.PluginDependency
	for _, p := range pkgs {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory()
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	if fi, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil && fi.IsDir() {
		fmt.Fprintf(stdout, "node_modules already present in %s: nothing to install\n", dir)
		return closer.Close()
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("could not find npm on the PATH: install Node.js with npm")
	}
	args := []string{"install"}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil {
		args = []string{"ci"}
	}
	cmd := exec.CommandContext(server.Context(), npm, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm %s in %s failed: %w", args[0], dir, err)
	}
	return closer.Close()
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("could not find node on the PATH")
	}
	resp := &pulumirpc.AboutResponse{Executable: node, Metadata: map[string]string{"packagemanager": "npm"}}
	if out, err := exec.CommandContext(ctx, node, "--version").Output(); err == nil {
		resp.Version = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, "npm", "--version").Output(); err == nil {
		resp.Metadata["packagemanagerVersion"] = strings.TrimSpace(string(out))
	}
	if dir := req.GetInfo().GetProgramDirectory(); dir != "" {
		cmd := exec.CommandContext(ctx, node, "-e", "console.log(require('typescript/package.json').version)")
		cmd.Dir = dir
		if out, err := cmd.Output(); err == nil {
			resp.Metadata["typescriptVersion"] = strings.TrimSpace(string(out))
		}
	}
	return resp, nil
}

// GetProgramDependencies lists the direct dependencies of the program at the versions
// installed in its node_modules (or as declared, when not installed).
func (h *host) GetProgramDependencies(ctx context.Context,
	req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	pkg, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("could not read the program's package.json: %w", err)
	}
	declared := map[string]string{}
	for k, v := range pkg.Dependencies {
		declared[k] = v
	}
	if req.GetTransitiveDependencies() {
		for k, v := range pkg.DevDependencies {
			declared[k] = v
		}
	}
	names := make([]string, 0, len(declared))
	for k := range declared {
		names = append(names, k)
	}
	sort.Strings(names)
	var deps []*pulumirpc.DependencyInfo
	for _, n := range names {
		v := declared[n]
		if inst, err := readPackageJSON(filepath.Join(dir, "node_modules", n, "package.json")); err == nil {
			v = inst.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// RunPlugin starts a plugin written in Node.js: a policy pack (kind "analyzer") through
// @pulumi/pulumi/cmd/run-policy-pack, anything else through @pulumi/pulumi/cmd/run-plugin.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	info := req.GetInfo()
	node, err := exec.LookPath("node")
	if err != nil {
		return errors.New("could not find node on the PATH: install Node.js 20 or newer")
	}
	opts, err := parseOptions(info.GetOptions().AsMap())
	if err != nil {
		return err
	}
	env := append(append([]string{}, req.GetEnv()...), opts.env()...)
	isPolicy := req.GetKind() == string(apitype.AnalyzerPlugin)
	module := "@pulumi/pulumi/cmd/run-plugin"
	if isPolicy {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	} else if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		module = p
	}
	runPath, err := resolveModule(node, info.GetProgramDirectory(), module, "run npm install in "+info.GetProgramDirectory())
	if err != nil {
		return err
	}
	args := append([]string{runPath}, opts.nodeArgs...)
	if isPolicy {
		// Policy packs take the pack directory last.
		args = append(args, req.GetArgs()...)
		args = append(args, info.GetProgramDirectory())
	} else {
		args = append(args, info.GetProgramDirectory())
		args = append(args, req.GetArgs()...)
	}

	// A policy pack needs the stack's configuration, which the engine only gives to an
	// analyzer: the SDK's proxy answers the engine as the analyzer, hands us the
	// configuration, then forwards to the real pack once it runs.
	var proxy *sdk.PolicyProxy
	if isPolicy {
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start the policy pack proxy: %w", err)
		}
		cfg, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get the stack configuration for the policy pack: %w", err)
		}
		if cfg != nil {
			add := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			add("PULUMI_NODEJS_ORGANIZATION", cfg.Organization)
			add("PULUMI_NODEJS_PROJECT", cfg.Project)
			add("PULUMI_NODEJS_STACK", cfg.Stack)
			add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(cfg.DryRun))
			if cfg.Config != nil {
				b, err := json.Marshal(cfg.Config)
				if err != nil {
					return fmt.Errorf("could not encode the stack configuration: %w", err)
				}
				add("PULUMI_CONFIG", string(b))
			}
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	if isPolicy {
		cmd.Dir = info.GetProgramDirectory()
	} else {
		cmd.Dir = req.GetPwd()
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start node for plugin %s: %w", req.GetName(), err)
	}
	if proxy != nil {
		if err := proxy.Attach(ctx, cmd); err != nil {
			return fmt.Errorf("could not attach the policy pack proxy: %w", err)
		}
	} else if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("plugin %s exited with code %d", req.GetName(), ee.ExitCode())
		}
		return err
	}
	return closer.Close()
}

// Unsupported code generation and packaging calls answer clearly instead of failing obscurely.
func (h *host) GenerateProject(context.Context, *pulumirpc.GenerateProjectRequest) (*pulumirpc.GenerateProjectResponse, error) {
	return nil, unsupported("GenerateProject (pulumi convert/new from a program)")
}

func (h *host) GeneratePackage(context.Context, *pulumirpc.GeneratePackageRequest) (*pulumirpc.GeneratePackageResponse, error) {
	return nil, unsupported("GeneratePackage (SDK generation)")
}

func (h *host) GenerateProgram(context.Context, *pulumirpc.GenerateProgramRequest) (*pulumirpc.GenerateProgramResponse, error) {
	return nil, unsupported("GenerateProgram (pulumi convert)")
}

func unsupported(what string) error {
	return status.Errorf(codes.Unimplemented,
		"%s is not supported by this project's minimal Node.js language host (see docs/toolchain.md)", what)
}
