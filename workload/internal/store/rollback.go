package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RollbackError explains a refused rollback and lists what exists.
type RollbackError struct {
	To, Reason string
	Complete   []string
	Current    string
}

func (e *RollbackError) Error() string {
	var list []string
	for _, id := range e.Complete {
		if id == e.Current {
			id += " (current)"
		}
		list = append(list, id)
	}
	avail := "none"
	if len(list) > 0 {
		avail = strings.Join(list, ", ")
	}
	return fmt.Sprintf("cannot roll back to %s: %s; complete versions: %s", e.To, e.Reason, avail)
}

// Rollback points current at an older (or any) kept, complete version after verifying
// every checksum. It takes the lock, so it never races a refresh. It returns the version
// current pointed at before.
func (s *Store) Rollback(ctx context.Context, to string, lockWait time.Duration, cp Checkpoints) (string, error) {
	if !ValidID(to) {
		return "", fmt.Errorf("--to: %q is not a version id", to)
	}
	l, err := s.Lock(ctx, lockWait, "rollback")
	if err != nil {
		return "", err
	}
	defer l.Unlock()
	prev, _, _ := s.ResolveCurrent()
	vs, err := s.List()
	if err != nil {
		return prev, err
	}
	refuse := func(reason string) error {
		return &RollbackError{To: to, Reason: reason, Complete: Complete(vs), Current: prev}
	}
	found := false
	for _, v := range vs {
		if v.ID == to {
			found = true
		}
	}
	if !found {
		return prev, refuse("no such version")
	}
	if _, _, err := Verify(s.VersionDir(to), to, true); err != nil {
		return prev, refuse(fmt.Sprintf("it does not verify (%v)", err))
	}
	if prev == to {
		return prev, nil
	}
	if err := s.switchCurrent(to); err != nil {
		return prev, err
	}
	s.logf("rollback: current %s -> %s", orNone(prev), to)
	if err := cp.Update(func(st *State) {
		st.Current = to
		st.LastEvent = fmt.Sprintf("rollback at %s: current %s -> %s", s.now().UTC().Format(time.RFC3339), orNone(prev), to)
	}); err != nil {
		s.logf("warning: cannot write checkpoint: %v", err)
	}
	return prev, nil
}
