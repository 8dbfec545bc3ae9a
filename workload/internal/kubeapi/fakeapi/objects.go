package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Resources the fake keeps as plain JSON objects.
const (
	PersistentVolumeClaims = "persistentvolumeclaims"
	PersistentVolumes      = "persistentvolumes"
	StorageClasses         = "storageclasses"
	Events                 = "events"
)

// Put stores an object of resource (one of the constants above) as if someone else had
// made it; its key is its metadata's namespace and name.
func (s *Server) Put(resource string, obj any) {
	m := toMap(obj)
	meta, _ := m["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(resource, ns, name, m)
}

func (s *Server) put(resource, ns, name string, m map[string]any) {
	if s.objects[resource] == nil {
		s.objects[resource] = map[string]map[string]any{}
	}
	s.objects[resource][ns+"/"+name] = m
}

// Get returns a copy of a stored object (namespace "" for cluster-scoped ones), or nil.
func (s *Server) Get(resource, namespace, name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.objects[resource][namespace+"/"+name]
	if o == nil {
		return nil
	}
	return toMap(o)
}

// List returns copies of every stored object of resource, ordered by namespace and name.
func (s *Server) List(resource string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.list(resource)
}

func (s *Server) list(resource string) []map[string]any {
	keys := make([]string, 0, len(s.objects[resource]))
	for k := range s.objects[resource] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		out[i] = toMap(s.objects[resource][k])
	}
	return out
}

// toMap copies v through JSON.
func toMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

// mergePatch applies a JSON merge patch (RFC 7386) to target.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// route is what a path names: a resource, and the namespace, name and subresource
// where given.
type route struct{ resource, ns, name, sub string }

func parseRoute(path string) (route, bool) {
	p := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case len(p) >= 3 && p[0] == "apis" && p[1] == "storage.k8s.io" && p[2] == "v1":
		p = p[3:]
	case len(p) >= 2 && p[0] == "api" && p[1] == "v1":
		p = p[2:]
	default:
		return route{}, false
	}
	var r route
	if len(p) >= 2 && p[0] == "namespaces" {
		r.ns, p = p[1], p[2:]
	}
	if len(p) == 0 || len(p) > 3 {
		return route{}, false
	}
	r.resource = p[0]
	if len(p) > 1 {
		r.name = p[1]
	}
	if len(p) > 2 {
		r.sub = p[2]
	}
	return r, true
}

// serveObject serves what the resizer calls: list claims in all namespaces, get
// volumes and classes, merge-patch a volume or a claim's status, create an event.
// s.mu is held.
func (s *Server) serveObject(w http.ResponseWriter, req Request) {
	r, ok := parseRoute(req.Path)
	if !ok || (r.resource != PersistentVolumeClaims && r.resource != PersistentVolumes && r.resource != StorageClasses && r.resource != Events) {
		writeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
		return
	}
	switch {
	case req.Method == http.MethodGet && r.name == "" && r.ns == "":
		writeJSON(w, http.StatusOK, map[string]any{"kind": "List", "apiVersion": "v1", "items": s.list(r.resource)})
	case req.Method == http.MethodGet && r.name != "" && r.sub == "":
		o := s.objects[r.resource][r.ns+"/"+r.name]
		if o == nil {
			writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("%s %q not found", r.resource, r.name))
			return
		}
		writeJSON(w, http.StatusOK, o)
	case req.Method == http.MethodPatch && r.name != "" && (r.sub == "" || r.sub == "status"):
		s.patch(w, req, r)
	case req.Method == http.MethodPost && r.resource == Events && r.ns != "" && r.name == "":
		s.createEvent(w, req, r.ns)
	default:
		writeStatus(w, http.StatusMethodNotAllowed, "MethodNotAllowed", req.Method+" "+req.Path+" not supported by the fake")
	}
}

// patch applies a merge patch. On the status subresource only the status changes, as
// on a real API server; a metadata.uid in the patch must be the object's (uid is
// immutable, so the API server refuses another).
func (s *Server) patch(w http.ResponseWriter, req Request, r route) {
	if req.ContentType != "application/merge-patch+json" {
		writeStatus(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "the fake only takes merge patches")
		return
	}
	o := s.objects[r.resource][r.ns+"/"+r.name]
	if o == nil {
		writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("%s %q not found", r.resource, r.name))
		return
	}
	var p map[string]any
	if err := json.Unmarshal(req.Body, &p); err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	if pm, ok := p["metadata"].(map[string]any); ok {
		om, _ := o["metadata"].(map[string]any)
		if uid, ok := pm["uid"]; ok && uid != om["uid"] {
			writeStatus(w, http.StatusUnprocessableEntity, "Invalid", fmt.Sprintf("%s %q is invalid: metadata.uid: Invalid value: %q: field is immutable", r.resource, r.name, uid))
			return
		}
	}
	if r.sub == "status" {
		o["status"] = mergePatch(o["status"], p["status"])
	} else {
		o = mergePatch(o, p).(map[string]any)
		s.objects[r.resource][r.ns+"/"+r.name] = o
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) createEvent(w http.ResponseWriter, req Request, ns string) {
	var ev map[string]any
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	meta, _ := ev["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		ev["metadata"] = meta
	}
	if n, _ := meta["namespace"].(string); n != "" && n != ns {
		writeStatus(w, http.StatusBadRequest, "BadRequest", "the namespace of the object does not match the namespace on the request")
		return
	}
	name, _ := meta["name"].(string)
	if gen, _ := meta["generateName"].(string); name == "" && gen != "" {
		s.generated++
		name = fmt.Sprintf("%s%05d", gen, s.generated)
	}
	if name == "" {
		writeStatus(w, http.StatusUnprocessableEntity, "Invalid", "metadata.name or metadata.generateName is required")
		return
	}
	meta["name"], meta["namespace"] = name, ns
	s.put(Events, ns, name, ev)
	writeJSON(w, http.StatusCreated, ev)
}
