// Package fakeapi is a fake Kubernetes API server for tests: an httptest TLS server on
// the loopback interface that keeps ConfigMaps, claims, volumes, storage classes and
// events in memory (objects.go) and records every request. It also writes a
// service-account directory (token, ca.crt, namespace) that trusts it.
package fakeapi

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"agent-storage/workload/internal/kubeapi"
)

// ConfigMap is what the fake keeps of a ConfigMap.
type ConfigMap struct {
	Labels map[string]string
	Data   map[string]string
}

// Request is one recorded request.
type Request struct {
	Method, Path, ContentType, Authorization string
	Body                                     []byte
}

// Server is the fake API server.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	token      string
	configMaps map[string]*ConfigMap                // "namespace/name"
	objects    map[string]map[string]map[string]any // resource -> "namespace/name" -> object
	generated  int                                  // names made from generateName so far
	requests   []Request
	// hook, if set, sees each request (after the token check) before the fake handles
	// it; a non-zero code makes the fake answer with that status instead.
	hook func(r Request) (code int, reason, message string)
}

// New starts a fake API server that accepts only the bearer token given.
func New(token string) *Server {
	s := &Server{token: token, configMaps: map[string]*ConfigMap{}, objects: map[string]map[string]map[string]any{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// SetToken changes the token the server accepts (a rotation).
func (s *Server) SetToken(t string) { s.mu.Lock(); s.token = t; s.mu.Unlock() }

// SetHook sets (or clears, with nil) the request hook.
func (s *Server) SetHook(h func(r Request) (code int, reason, message string)) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

// Requests returns a copy of the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ConfigMap returns a copy of a stored ConfigMap, or nil.
func (s *Server) ConfigMap(namespace, name string) *ConfigMap {
	s.mu.Lock()
	defer s.mu.Unlock()
	cm := s.configMaps[namespace+"/"+name]
	if cm == nil {
		return nil
	}
	out := &ConfigMap{Labels: map[string]string{}, Data: map[string]string{}}
	for k, v := range cm.Labels {
		out.Labels[k] = v
	}
	for k, v := range cm.Data {
		out.Data[k] = v
	}
	return out
}

// PutConfigMap stores a ConfigMap directly (as if someone else created it).
func (s *Server) PutConfigMap(namespace, name string, data map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.configMaps[namespace+"/"+name] = &ConfigMap{Labels: map[string]string{}, Data: data}
}

// HostPort returns the values for KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.
func (s *Server) HostPort() (host, port string) {
	host, port, _ = net.SplitHostPort(s.Listener.Addr().String())
	return host, port
}

// Start starts a server for a test, writes a service-account folder trusting it (with the
// namespace and token given) and points the KUBERNETES_SERVICE_* variables at it, as a pod
// would see them. The server stops when the test ends. It returns the server and the folder.
func Start(t testing.TB, namespace, token string) (*Server, string) {
	t.Helper()
	srv := New(token)
	t.Cleanup(srv.Close)
	sa := filepath.Join(t.TempDir(), "serviceaccount")
	if err := srv.WriteServiceAccount(sa, namespace, token+"\n"); err != nil {
		t.Fatal(err)
	}
	host, port := srv.HostPort()
	t.Setenv(kubeapi.EnvHost, host)
	t.Setenv(kubeapi.EnvPort, port)
	return srv, sa
}

// WriteServiceAccount writes token, ca.crt (this server's certificate) and namespace
// into dir, as the kubelet mounts them.
func (s *Server) WriteServiceAccount(dir, namespace, token string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	for name, content := range map[string][]byte{"ca.crt": ca, "namespace": []byte(namespace), "token": []byte(token)} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeStatus(w http.ResponseWriter, code int, reason, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{
		"kind": "Status", "apiVersion": "v1", "status": "Failure",
		"message": message, "reason": reason, "code": code,
	})
}

func writeConfigMap(w http.ResponseWriter, code int, ns, name string, cm *ConfigMap) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{
		"kind": "ConfigMap", "apiVersion": "v1",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": cm.Labels},
		"data":     cm.Data,
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
		Authorization: r.Header.Get("Authorization"), Body: body}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	if req.Authorization != "Bearer "+s.token {
		writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		return
	}
	if s.hook != nil {
		s.mu.Unlock()
		code, reason, msg := s.hook(req)
		s.mu.Lock()
		if code != 0 {
			writeStatus(w, code, reason, msg)
			return
		}
	}
	// /api/v1/namespaces/<ns>/configmaps[/<name>]; the rest in objects.go.
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) < 5 || parts[4] != "configmaps" {
		s.serveObject(w, req)
		return
	}
	if parts[0] != "api" || parts[1] != "v1" || parts[2] != "namespaces" || len(parts) > 6 {
		writeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
		return
	}
	ns := parts[3]
	if len(parts) == 5 {
		if r.Method != http.MethodPost {
			writeStatus(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "only POST here")
			return
		}
		var in struct {
			Metadata struct {
				Name      string            `json:"name"`
				Namespace string            `json:"namespace"`
				Labels    map[string]string `json:"labels"`
			} `json:"metadata"`
			Data map[string]string `json:"data"`
		}
		if err := json.Unmarshal(body, &in); err != nil || in.Metadata.Name == "" {
			writeStatus(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("bad ConfigMap: %v", err))
			return
		}
		if in.Metadata.Namespace != "" && in.Metadata.Namespace != ns {
			writeStatus(w, http.StatusBadRequest, "BadRequest", "the namespace of the object does not match the namespace on the request")
			return
		}
		key := ns + "/" + in.Metadata.Name
		if s.configMaps[key] != nil {
			writeStatus(w, http.StatusConflict, "AlreadyExists", fmt.Sprintf("configmaps %q already exists", in.Metadata.Name))
			return
		}
		cm := &ConfigMap{Labels: in.Metadata.Labels, Data: in.Data}
		s.configMaps[key] = cm
		writeConfigMap(w, http.StatusCreated, ns, in.Metadata.Name, cm)
		return
	}
	name := parts[5]
	cm := s.configMaps[ns+"/"+name]
	switch r.Method {
	case http.MethodGet:
		if cm == nil {
			writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("configmaps %q not found", name))
			return
		}
		writeConfigMap(w, http.StatusOK, ns, name, cm)
	case http.MethodPatch:
		if req.ContentType != "application/merge-patch+json" {
			writeStatus(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "the fake only takes merge patches")
			return
		}
		if cm == nil {
			writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("configmaps %q not found", name))
			return
		}
		var patch struct {
			Data map[string]*string `json:"data"`
		}
		if err := json.Unmarshal(body, &patch); err != nil {
			writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		for k, v := range patch.Data {
			if v == nil {
				delete(cm.Data, k)
			} else {
				cm.Data[k] = *v
			}
		}
		writeConfigMap(w, http.StatusOK, ns, name, cm)
	default:
		writeStatus(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" not supported by the fake")
	}
}
