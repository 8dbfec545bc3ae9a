package query

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// QueryURL turns a reader's address into the URL of its query path. An address without
// a path ("http://inference:8080") gets PathQuery; one with a path is taken as it is, so
// a proxy in front of the reader may move the API.
func QueryURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http:// or https:// URL with a host", base)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = PathQuery
	}
	return u.String(), nil
}

// Post sends one query and returns the status and the whole body. A status other than
// 200 is not an error here: the caller decides what it means.
func Post(ctx context.Context, c *http.Client, queryURL string, req Request) (int, []byte, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return 0, nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, queryURL, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(hreq)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, body, nil
}

// ErrorMessage is the reason in an error answer: its "error" field, or the body itself
// on one line when it is not the handler's JSON (a proxy's page, say).
func ErrorMessage(body []byte) string {
	var e errorBody
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
