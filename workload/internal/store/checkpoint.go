package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"agent-storage/workload/internal/atomicfile"
)

// StateFile is the checkpoint file name inside the checkpoints directory.
const StateFile = "refresh-state.json"

// Attempt is one refresh run as recorded in the checkpoints.
type Attempt struct {
	Version       string     `json:"version"`
	Status        string     `json:"status"` // running, succeeded, failed, interrupted
	StartedAt     time.Time  `json:"startedAt"`
	EndedAt       *time.Time `json:"endedAt,omitempty"`
	ShardsWritten int        `json:"shardsWritten"`
	ShardsTotal   int        `json:"shardsTotal"`
	Docs          int        `json:"docs,omitempty"`
	Dim           int        `json:"dim,omitempty"`
	Error         string     `json:"error,omitempty"`
	PID           int        `json:"pid,omitempty"`
	Host          string     `json:"host,omitempty"`
}

// State is the content of refresh-state.json: what the last run did, the last run that
// completed, and what current points at, so a restarted generator knows what happened.
type State struct {
	UpdatedAt     time.Time `json:"updatedAt"`
	Current       string    `json:"current,omitempty"`
	LastAttempt   *Attempt  `json:"lastAttempt,omitempty"`
	LastCompleted *Attempt  `json:"lastCompleted,omitempty"`
	// LastEvent is a one-line description of the latest change (refresh, rollback,
	// cleanup of an interrupted run).
	LastEvent string `json:"lastEvent,omitempty"`
}

const (
	StatusRunning     = "running"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// Checkpoints reads and writes refresh-state.json in a directory. A zero value (empty
// Dir) does nothing, so checkpoints stay optional.
type Checkpoints struct{ Dir string }

func (c Checkpoints) path() string { return filepath.Join(c.Dir, StateFile) }

// Load returns the saved state (an empty one if none was saved yet).
func (c Checkpoints) Load() (*State, error) {
	st := &State{}
	if c.Dir == "" {
		return st, nil
	}
	b, err := os.ReadFile(c.path())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return st, nil
		}
		return st, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return &State{}, fmt.Errorf("%s: %w", c.path(), err)
	}
	return st, nil
}

// Save writes the state atomically (temporary file, fsync, rename, fsync dir).
func (c Checkpoints) Save(st *State) error {
	if c.Dir == "" {
		return nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return writeErr(err)
	}
	st.UpdatedAt = time.Now().UTC()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(c.path(), append(b, '\n'), 0o644); err != nil {
		return writeErr(err)
	}
	return nil
}

// Update loads, changes and saves the state.
func (c Checkpoints) Update(fn func(*State)) error {
	if c.Dir == "" {
		return nil
	}
	st, err := c.Load()
	if err != nil {
		st = &State{} // a damaged state file is replaced, not fatal
	}
	fn(st)
	return c.Save(st)
}
