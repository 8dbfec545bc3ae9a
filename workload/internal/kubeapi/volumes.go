package kubeapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// The calls the resizer makes: claims, their volumes and classes, and an Event for each
// claim it grows. The types hold only the fields those calls read; quantities stay the
// strings the API server sent.

// ObjectMeta is the part of an object's metadata the resizer reads.
type ObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	UID         string            `json:"uid,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ObjectReference names one object, as a volume's claimRef or an Event's involvedObject.
type ObjectReference struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
	UID        string `json:"uid,omitempty"`
}

// PersistentVolumeClaim is a claim as the resizer reads it.
type PersistentVolumeClaim struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		StorageClassName *string `json:"storageClassName,omitempty"`
		VolumeName       string  `json:"volumeName,omitempty"`
		Resources        struct {
			Requests map[string]string `json:"requests,omitempty"`
		} `json:"resources"`
	} `json:"spec"`
	Status struct {
		Phase    string            `json:"phase,omitempty"`
		Capacity map[string]string `json:"capacity,omitempty"`
	} `json:"status"`
}

// PersistentVolume is a volume as the resizer reads it.
type PersistentVolume struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		Capacity map[string]string `json:"capacity,omitempty"`
		ClaimRef *ObjectReference  `json:"claimRef,omitempty"`
	} `json:"spec"`
}

// StorageClass is a class as the resizer reads it.
type StorageClass struct {
	Metadata             ObjectMeta `json:"metadata"`
	Provisioner          string     `json:"provisioner"`
	AllowVolumeExpansion *bool      `json:"allowVolumeExpansion,omitempty"`
}

const mergePatch = "application/merge-patch+json"

// ListPersistentVolumeClaims lists the claims of every namespace.
func (c *Client) ListPersistentVolumeClaims(ctx context.Context) ([]PersistentVolumeClaim, error) {
	var list struct {
		Items []PersistentVolumeClaim `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/persistentvolumeclaims", "", nil, &list,
		rbacNeed{clusterWide, "list on persistentvolumeclaims"})
	return list.Items, err
}

func volumePath(name string) string { return "/api/v1/persistentvolumes/" + url.PathEscape(name) }

// GetPersistentVolume reads one volume; a missing one is an APIError with status 404.
func (c *Client) GetPersistentVolume(ctx context.Context, name string) (*PersistentVolume, error) {
	var pv PersistentVolume
	if err := c.do(ctx, http.MethodGet, volumePath(name), "", nil, &pv, rbacNeed{clusterWide, "get on persistentvolumes"}); err != nil {
		return nil, err
	}
	return &pv, nil
}

// GetStorageClass reads one class; a missing one is an APIError with status 404.
func (c *Client) GetStorageClass(ctx context.Context, name string) (*StorageClass, error) {
	var sc StorageClass
	err := c.do(ctx, http.MethodGet, "/apis/storage.k8s.io/v1/storageclasses/"+url.PathEscape(name), "", nil, &sc,
		rbacNeed{clusterWide, "get on storageclasses (API group storage.k8s.io)"})
	if err != nil {
		return nil, err
	}
	return &sc, nil
}

// PatchPersistentVolume applies a JSON merge patch to a volume.
func (c *Client) PatchPersistentVolume(ctx context.Context, name string, patch any) error {
	body, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, volumePath(name), mergePatch, body, nil, rbacNeed{clusterWide, "patch on persistentvolumes"})
}

// PatchPersistentVolumeClaimStatus applies a JSON merge patch to a claim's status
// subresource (the only way to change a claim's status).
func (c *Client) PatchPersistentVolumeClaimStatus(ctx context.Context, namespace, name string, patch any) error {
	body, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	path := "/api/v1/namespaces/" + url.PathEscape(namespace) + "/persistentvolumeclaims/" + url.PathEscape(name) + "/status"
	return c.do(ctx, http.MethodPatch, path, mergePatch, body, nil,
		rbacNeed{clusterWide, "patch on persistentvolumeclaims/status in namespace " + namespace})
}

// Event is a core/v1 Event about one object, as `kubectl describe` shows it.
type Event struct {
	InvolvedObject ObjectReference // its Namespace is where the Event goes
	Type           string          // Normal or Warning
	Reason         string          // one CamelCase word
	Message        string
	Component      string // who reports it (source.component)
}

// CreateEvent records an Event in the namespace of the object it is about.
func (c *Client) CreateEvent(ctx context.Context, ev Event) error {
	ns := ev.InvolvedObject.Namespace
	now := time.Now().UTC().Format(time.RFC3339)
	body, err := json.Marshal(map[string]any{
		"apiVersion": "v1",
		"kind":       "Event",
		// The API server adds a random suffix, so two Events never collide.
		"metadata":       map[string]any{"generateName": ev.InvolvedObject.Name + ".", "namespace": ns},
		"involvedObject": ev.InvolvedObject,
		"type":           ev.Type,
		"reason":         ev.Reason,
		"message":        ev.Message,
		"source":         map[string]any{"component": ev.Component},
		"firstTimestamp": now,
		"lastTimestamp":  now,
		"count":          1,
	})
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/api/v1/namespaces/"+url.PathEscape(ns)+"/events", "application/json", body, nil,
		rbacNeed{clusterWide, "create on events in namespace " + ns})
}
