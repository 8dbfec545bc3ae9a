// Package kubeapi is a very small in-cluster Kubernetes API client, standard library
// only: just enough for the generator to publish the version it serves to one ConfigMap,
// and for the resizer to grow volumes (volumes.go).
//
// It authenticates the way every in-cluster client does: the pod's service-account
// token (re-read on every call, since the kubelet rotates it), the cluster CA and the
// namespace from the service-account directory, and the API server address from
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.
package kubeapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultServiceAccountDir is where the kubelet mounts the service-account token.
const DefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// Environment variables the kubelet sets in every container.
const (
	EnvHost = "KUBERNETES_SERVICE_HOST"
	EnvPort = "KUBERNETES_SERVICE_PORT"
)

// Labels put on a ConfigMap this package creates.
var CreatedLabels = map[string]string{
	"app.kubernetes.io/part-of":    "agent-storage",
	"app.kubernetes.io/managed-by": "refresher",
}

// Client talks to the API server of the cluster the pod runs in.
type Client struct {
	// Server is the API server's base URL, e.g. https://10.96.0.1:443.
	Server string
	// Namespace is the pod's namespace (from the service-account directory).
	Namespace string
	// TokenFile is read on every call.
	TokenFile string
	// CAFile is the cluster CA the API server's certificate must chain to.
	CAFile string
	// UserAgent is sent with every request.
	UserAgent string

	http *http.Client
}

// Timeouts for one request. A call as a whole is also bounded by its context.
const (
	dialTimeout     = 5 * time.Second
	requestTimeout  = 15 * time.Second
	maxResponseBody = 1 << 20
)

// ServerURL joins host and port into an https URL; IPv6 addresses get brackets.
func ServerURL(host, port string) string {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return "https://" + net.JoinHostPort(host, port)
}

// InCluster builds a client from the service-account directory saDir (empty means
// DefaultServiceAccountDir) and the KUBERNETES_SERVICE_* environment variables. Errors
// say what is missing and what to check.
func InCluster(saDir string) (*Client, error) {
	if saDir == "" {
		saDir = DefaultServiceAccountDir
	}
	host, port := os.Getenv(EnvHost), os.Getenv(EnvPort)
	if host == "" || port == "" {
		return nil, fmt.Errorf("%s and %s are not both set: not running in a Kubernetes pod? (the kubelet sets them in every container)", EnvHost, EnvPort)
	}
	nsb, err := os.ReadFile(filepath.Join(saDir, "namespace"))
	if err != nil {
		return nil, fmt.Errorf("service account: %w (is a service-account token mounted? the pod needs automountServiceAccountToken: true)", err)
	}
	ns := strings.TrimSpace(string(nsb))
	if ns == "" {
		return nil, fmt.Errorf("service account: %s is empty", filepath.Join(saDir, "namespace"))
	}
	c := &Client{
		Server:    ServerURL(host, port),
		Namespace: ns,
		TokenFile: filepath.Join(saDir, "token"),
		CAFile:    filepath.Join(saDir, "ca.crt"),
		UserAgent: "refresher (agent-storage)",
	}
	if _, err := c.token(); err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("service account: %w (the cluster CA is needed to trust the API server)", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("service account: %s holds no PEM certificate", c.CAFile)
	}
	c.http = &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			// Never a proxy from the environment: the API server is reached directly,
			// as the kubelet's variables say.
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   dialTimeout,
			ResponseHeaderTimeout: requestTimeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConns:          2,
			ForceAttemptHTTP2:     true,
		},
	}
	return c, nil
}

func (c *Client) token() (string, error) {
	b, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return "", fmt.Errorf("service account token: %w (the pod needs automountServiceAccountToken: true)", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("service account token: %s is empty", c.TokenFile)
	}
	return t, nil
}

// APIError is a response from the API server other than success.
type APIError struct {
	Method, Path string
	StatusCode   int
	Reason       string // from the Status object, e.g. Forbidden, NotFound, AlreadyExists
	Message      string // from the Status object
	Hint         string // what to check
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// IsStatus reports whether err is an APIError with the given HTTP status code.
func IsStatus(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == code
}

// status is the part of a metav1.Status the API server returns with errors.
type status struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
}

// rbacNeed is what a call needs of the RBAC rules bound to the pod's service account,
// told in the hint of a 403: the kind of binding and the rule.
type rbacNeed struct {
	binding string // e.g. "Role and RoleBinding"
	rule    string // e.g. "get on persistentvolumes"
}

const clusterWide = "ClusterRole and ClusterRoleBinding"

// do sends one request and decodes a JSON response into out (if not nil).
func (c *Client) do(ctx context.Context, method, path, contentType string, body []byte, out any, need rbacNeed) error {
	tok, err := c.token()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return fmt.Errorf("%s %s: reading the response: %w", method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if len(b) > maxResponseBody {
			return fmt.Errorf("%s %s: the response is larger than %d bytes, more than this client reads", method, path, maxResponseBody)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				return fmt.Errorf("%s %s: decoding the response: %w", method, path, err)
			}
		}
		return nil
	}
	ae := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode}
	var st status
	if json.Unmarshal(b, &st) == nil && st.Kind == "Status" {
		ae.Message, ae.Reason = st.Message, st.Reason
	} else if s := strings.TrimSpace(string(b)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		ae.Message = s
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		ae.Hint = fmt.Sprintf("the API server rejected the token in %s (expired or not this cluster's? the pod needs automountServiceAccountToken: true)", c.TokenFile)
	case http.StatusForbidden:
		ae.Hint = fmt.Sprintf("check the %s for this pod's service account (namespace %s): it needs %s", need.binding, c.Namespace, need.rule)
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		ae.Hint = "the API server is overloaded or unavailable; try again later"
	}
	return ae
}

// transportError explains a request that got no HTTP response.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	where := fmt.Sprintf("the Kubernetes API server at %s (from %s=%q, %s=%q)", c.Server, EnvHost, os.Getenv(EnvHost), EnvPort, os.Getenv(EnvPort))
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ne net.Error
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("%s %s: TLS: the certificate of %s is not signed by the CA in %s: %v", method, path, where, c.CAFile, inner)
	case errors.As(err, &hn):
		return fmt.Errorf("%s %s: TLS: the certificate of %s does not name that address: %v", method, path, where, inner)
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("%s %s: %w", method, path, ctx.Err())
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("%s %s: timed out reaching %s: %v; check that address and that the pod may reach it (network policies)", method, path, where, inner)
	default:
		return fmt.Errorf("%s %s: cannot reach %s: %v; check that address and that the pod may reach it (network policies)", method, path, where, inner)
	}
}

func (c *Client) configMapPath(name string) string {
	p := "/api/v1/namespaces/" + url.PathEscape(c.Namespace) + "/configmaps"
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

// UpsertConfigMapData sets the given data keys of ConfigMap name in the client's
// namespace (other keys are kept): a JSON merge patch; if the ConfigMap does not exist,
// it is created with CreatedLabels; if someone else created it meanwhile (409), the
// patch is tried once more.
func (c *Client) UpsertConfigMapData(ctx context.Context, name string, data map[string]string) error {
	patch, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		return err
	}
	need := rbacNeed{"Role and RoleBinding", "create on configmaps and get, update, patch on the ConfigMap " + name}
	err = c.do(ctx, http.MethodPatch, c.configMapPath(name), "application/merge-patch+json", patch, nil, need)
	if !IsStatus(err, http.StatusNotFound) {
		return c.explain(err)
	}
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": name, "namespace": c.Namespace, "labels": CreatedLabels},
		"data":       data,
	}
	body, err := json.Marshal(cm)
	if err != nil {
		return err
	}
	err = c.do(ctx, http.MethodPost, c.configMapPath(""), "application/json", body, nil, need)
	if IsStatus(err, http.StatusConflict) {
		err = c.do(ctx, http.MethodPatch, c.configMapPath(name), "application/merge-patch+json", patch, nil, need)
	}
	return c.explain(err)
}

// explain adds the hint for a ConfigMap create that finds no namespace.
func (c *Client) explain(err error) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound && ae.Method == http.MethodPost {
		ae.Hint = fmt.Sprintf("does namespace %s (from the service-account directory) exist?", c.Namespace)
	}
	return err
}
