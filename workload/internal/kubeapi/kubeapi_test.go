package kubeapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agent-storage/workload/internal/kubeapi"
	"agent-storage/workload/internal/kubeapi/fakeapi"
)

const ns = "agent-data"

// setup starts a fake API server, writes a service-account dir trusting it, points the
// KUBERNETES_SERVICE_* variables at it and returns a client.
func setup(t *testing.T) (*fakeapi.Server, *kubeapi.Client, string) {
	t.Helper()
	srv, sa := fakeapi.Start(t, ns, "token-1")
	c, err := kubeapi.InCluster(sa)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, sa
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func methods(rs []fakeapi.Request) string {
	var m []string
	for _, r := range rs {
		m = append(m, r.Method)
	}
	return strings.Join(m, ",")
}

func TestServerURL(t *testing.T) {
	for _, c := range [][3]string{
		{"10.96.0.1", "443", "https://10.96.0.1:443"},
		{"fd00:10:96::1", "443", "https://[fd00:10:96::1]:443"},
		{"[fd00::1]", "6443", "https://[fd00::1]:6443"},
		{"kubernetes.default.svc", "443", "https://kubernetes.default.svc:443"},
	} {
		if got := kubeapi.ServerURL(c[0], c[1]); got != c[2] {
			t.Errorf("ServerURL(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

// First call: PATCH gets 404, so the ConfigMap is created with our labels. Second call:
// one merge PATCH to the ConfigMap's path that changes only the keys given.
func TestUpsertCreatesThenPatches(t *testing.T) {
	srv, c, _ := setup(t)
	if c.Namespace != ns {
		t.Fatalf("namespace %q", c.Namespace)
	}
	data := map[string]string{"currentVersion": "v1", "publishedAt": "2026-11-24T19:00:00Z", "keptVersions": "v1"}
	if err := c.UpsertConfigMapData(ctx(t), "embeddings-status", data); err != nil {
		t.Fatal(err)
	}
	rs := srv.Requests()
	if methods(rs) != "PATCH,POST" || rs[1].Path != "/api/v1/namespaces/agent-data/configmaps" || rs[1].ContentType != "application/json" {
		t.Fatalf("create: requests %s %+v", methods(rs), rs)
	}
	var created struct {
		Kind     string
		Metadata struct {
			Name, Namespace string
			Labels          map[string]string
		}
		Data map[string]string
	}
	if err := json.Unmarshal(rs[1].Body, &created); err != nil || created.Kind != "ConfigMap" || created.Metadata.Name != "embeddings-status" ||
		created.Metadata.Namespace != ns || created.Data["currentVersion"] != "v1" {
		t.Fatalf("POST body %s (%v)", rs[1].Body, err)
	}
	cm := srv.ConfigMap(ns, "embeddings-status")
	if cm == nil || cm.Labels["app.kubernetes.io/part-of"] != "agent-storage" || cm.Labels["app.kubernetes.io/managed-by"] != "refresher" || cm.Data["keptVersions"] != "v1" {
		t.Fatalf("stored: %+v", cm)
	}

	srv.PutConfigMap(ns, "embeddings-status", map[string]string{"currentVersion": "v1", "note": "kept"})
	if err := c.UpsertConfigMapData(ctx(t), "embeddings-status", map[string]string{"currentVersion": "v2"}); err != nil {
		t.Fatal(err)
	}
	rs = srv.Requests()[2:]
	if len(rs) != 1 {
		t.Fatalf("update should be one PATCH, got %s", methods(rs))
	}
	p := rs[0]
	if p.Method != http.MethodPatch || p.Path != "/api/v1/namespaces/agent-data/configmaps/embeddings-status" ||
		p.ContentType != "application/merge-patch+json" || string(p.Body) != `{"data":{"currentVersion":"v2"}}` {
		t.Fatalf("patch: %s %s %s %s", p.Method, p.Path, p.ContentType, p.Body)
	}
	if p.Authorization != "Bearer token-1" {
		t.Fatalf("Authorization %q (the token file's trailing newline must be trimmed)", p.Authorization)
	}
	if cm := srv.ConfigMap(ns, "embeddings-status"); cm.Data["currentVersion"] != "v2" || cm.Data["note"] != "kept" {
		t.Fatalf("merge patch result: %+v", cm.Data)
	}
}

// The kubelet rotates the token: every call reads the file again.
func TestTokenIsReReadOnEveryCall(t *testing.T) {
	srv, c, sa := setup(t)
	d := map[string]string{"k": "v"}
	if err := c.UpsertConfigMapData(ctx(t), "cm", d); err != nil {
		t.Fatal(err)
	}
	srv.SetToken("token-2")
	if err := c.UpsertConfigMapData(ctx(t), "cm", d); !kubeapi.IsStatus(err, http.StatusUnauthorized) || !strings.Contains(err.Error(), "rejected the token") {
		t.Fatalf("old token against the rotated server: %v", err)
	}
	os.WriteFile(filepath.Join(sa, "token"), []byte("token-2"), 0o600)
	if err := c.UpsertConfigMapData(ctx(t), "cm", d); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	rs := srv.Requests()
	if last := rs[len(rs)-1]; last.Authorization != "Bearer token-2" {
		t.Fatalf("last request sent %q", last.Authorization)
	}
}

// Someone else creates the ConfigMap between our PATCH (404) and POST: POST gets 409,
// the PATCH is tried once more and succeeds.
func TestConflictOnCreateRetriesPatchOnce(t *testing.T) {
	srv, c, _ := setup(t)
	srv.SetHook(func(r fakeapi.Request) (int, string, string) {
		if r.Method == http.MethodPost {
			srv.PutConfigMap(ns, "embeddings-status", map[string]string{"currentVersion": "theirs"})
		}
		return 0, "", ""
	})
	if err := c.UpsertConfigMapData(ctx(t), "embeddings-status", map[string]string{"currentVersion": "ours"}); err != nil {
		t.Fatal(err)
	}
	if m := methods(srv.Requests()); m != "PATCH,POST,PATCH" {
		t.Fatalf("requests %s", m)
	}
	if cm := srv.ConfigMap(ns, "embeddings-status"); cm.Data["currentVersion"] != "ours" {
		t.Fatalf("stored %+v", cm.Data)
	}

	// Only once: if the retried PATCH fails too, the error comes back (no loop).
	srv2, c2, _ := setup(t)
	srv2.SetHook(func(r fakeapi.Request) (int, string, string) {
		if r.Method == http.MethodPost {
			return http.StatusConflict, "AlreadyExists", `configmaps "x" already exists`
		}
		return 0, "", "" // PATCH: 404, nothing stored
	})
	err := c2.UpsertConfigMapData(ctx(t), "x", map[string]string{"a": "b"})
	if !kubeapi.IsStatus(err, http.StatusNotFound) || methods(srv2.Requests()) != "PATCH,POST,PATCH" {
		t.Fatalf("err %v, requests %s", err, methods(srv2.Requests()))
	}
}

func TestForbiddenSaysToCheckTheRole(t *testing.T) {
	srv, c, _ := setup(t)
	msg := `configmaps "embeddings-status" is forbidden: User "system:serviceaccount:agent-data:embeddings-generator" cannot patch resource "configmaps" in API group "" in the namespace "agent-data"`
	srv.SetHook(func(fakeapi.Request) (int, string, string) { return http.StatusForbidden, "Forbidden", msg })
	err := c.UpsertConfigMapData(ctx(t), "embeddings-status", map[string]string{"a": "b"})
	if !kubeapi.IsStatus(err, http.StatusForbidden) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"PATCH /api/v1/namespaces/agent-data/configmaps/embeddings-status: 403 Forbidden", msg,
		"check the Role and RoleBinding", "get, update, patch on the ConfigMap embeddings-status"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if m := methods(srv.Requests()); m != "PATCH" {
		t.Fatalf("a 403 must not lead to a create: %s", m)
	}
}

// The API server's certificate must chain to ca.crt: with another CA there, the same
// server is refused. (Every httptest server shares one certificate, so the other CA is
// made here.)
func TestOnlyTheServiceAccountCAIsTrusted(t *testing.T) {
	srv, _, sa := setup(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other-cluster-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(sa, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	c, err := kubeapi.InCluster(sa)
	if err != nil {
		t.Fatal(err)
	}
	err = c.UpsertConfigMapData(ctx(t), "cm", map[string]string{"a": "b"})
	if err == nil || !strings.Contains(err.Error(), "is not signed by the CA in "+filepath.Join(sa, "ca.crt")) {
		t.Fatalf("err %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached the server through an untrusted connection", n)
	}
}

func TestUnreachableServerNamesTheAddress(t *testing.T) {
	srv, c, _ := setup(t)
	host, port := srv.HostPort()
	srv.Close() // nothing listens there any more (loopback)
	err := c.UpsertConfigMapData(ctx(t), "cm", map[string]string{"a": "b"})
	for _, want := range []string{"cannot reach the Kubernetes API server at https://" + host + ":" + port,
		`KUBERNETES_SERVICE_HOST="` + host + `"`, "connection refused"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestSlowServerTimesOut(t *testing.T) {
	srv, c, _ := setup(t)
	release := make(chan struct{})
	defer close(release)
	srv.SetHook(func(fakeapi.Request) (int, string, string) { <-release; return 0, "", "" })
	cx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.UpsertConfigMapData(cx, "cm", map[string]string{"a": "b"})
	if err == nil || !strings.Contains(err.Error(), "timed out reaching the Kubernetes API server at") || time.Since(start) > 5*time.Second {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
}

func TestInClusterSaysWhatIsMissing(t *testing.T) {
	t.Setenv(kubeapi.EnvHost, "")
	t.Setenv(kubeapi.EnvPort, "")
	if _, err := kubeapi.InCluster(t.TempDir()); err == nil || !strings.Contains(err.Error(), "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set") {
		t.Fatalf("no env: %v", err)
	}
	t.Setenv(kubeapi.EnvHost, "127.0.0.1")
	t.Setenv(kubeapi.EnvPort, "1")
	empty := t.TempDir()
	if _, err := kubeapi.InCluster(empty); err == nil || !strings.Contains(err.Error(), "automountServiceAccountToken: true") {
		t.Fatalf("no service account: %v", err)
	}
	os.WriteFile(filepath.Join(empty, "namespace"), []byte("ns"), 0o644)
	os.WriteFile(filepath.Join(empty, "token"), []byte("t"), 0o644)
	os.WriteFile(filepath.Join(empty, "ca.crt"), []byte("not a certificate"), 0o644)
	if _, err := kubeapi.InCluster(empty); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Fatalf("bad CA: %v", err)
	}
}
