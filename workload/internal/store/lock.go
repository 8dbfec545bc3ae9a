package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// LockHolder is written into the lock file by the process holding it, so a refused
// caller can say who is running.
type LockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

func (h LockHolder) String() string {
	if h.PID == 0 {
		return "another process"
	}
	return fmt.Sprintf("%s (pid %d on %s, since %s)", h.Command, h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

// LockedError is returned when another refresh holds the lock.
type LockedError struct{ Holder LockHolder }

func (e *LockedError) Error() string {
	return "another refresh is running: " + e.Holder.String()
}

// ErrLocked matches a *LockedError with errors.Is.
var ErrLocked = errors.New("another refresh is running")

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is an exclusive flock(2) on <root>/.refresh.lock. It is released when the process
// exits, however it exits, so a killed refresh never leaves a stale lock.
type Lock struct{ f *os.File }

// Lock takes the refresh lock. wait 0 refuses at once with a *LockedError; wait < 0 waits
// until ctx is done; otherwise it waits up to wait. command names the caller in the lock
// file.
func (s *Store) Lock(ctx context.Context, wait time.Duration, command string) (*Lock, error) {
	if err := os.MkdirAll(s.Root, 0o755); err != nil {
		return nil, writeErr(err)
	}
	path := filepath.Join(s.Root, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o664)
	if err != nil {
		return nil, writeErr(err)
	}
	var deadline time.Time
	if wait > 0 {
		deadline = time.Now().Add(wait)
	}
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("flock %s: %w", path, err)
		}
		holder := readHolder(path)
		if wait == 0 || (wait > 0 && time.Now().After(deadline)) {
			f.Close()
			return nil, &LockedError{Holder: holder}
		}
		if !logged {
			s.logf("waiting for the running refresh to finish: %s", holder)
			logged = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(LockHolder{PID: os.Getpid(), Host: host, Command: command, Since: time.Now().UTC()})
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
	return err
}

func readHolder(path string) LockHolder {
	var h LockHolder
	b, err := os.ReadFile(path)
	if err == nil {
		json.Unmarshal(b, &h)
	}
	return h
}

// writeErr adds a hint when the volume is mounted read-only (a reader pod), full, or not
// writable.
func writeErr(err error) error {
	if errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("%w (the embeddings volume is mounted read-only here: refresh and rollback run in the generator, which mounts it read-write)", err)
	}
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w (the embeddings volume is full: raise agent-storage:embeddingsSize or lower agent-storage:keepVersions)", err)
	}
	if errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (no write permission on the embeddings volume)", err)
	}
	return err
}
