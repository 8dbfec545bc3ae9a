package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// failOpen makes opening anything under dir fail with errno, as a failing disk (EIO) or
// a permission problem (EACCES) would.
func failOpen(s *Store, dir string, errno syscall.Errno) {
	prev := s.sys.open
	s.sys.open = func(name string) (*os.File, error) {
		if strings.HasPrefix(name, dir+string(filepath.Separator)) {
			return nil, &os.PathError{Op: "open", Path: name, Err: errno}
		}
		if prev != nil {
			return prev(name)
		}
		return os.Open(name)
	}
}

// fakeClock gives a store a clock the test moves. It starts at the real time, since
// changing a directory (removing a manifest) stamps it with the real time.
func fakeClock(s *Store) *time.Time {
	clock := time.Now().UTC()
	s.Now = func() time.Time { return clock }
	return &clock
}

// versions makes n versions, a minute apart, whose own retention deletes nothing.
func versions(t *testing.T, s *Store, clock *time.Time, n int) []string {
	t.Helper()
	o := testOpts()
	o.Grace = 24 * time.Hour
	var ids []string
	for i := 0; i < n; i++ {
		*clock = clock.Add(time.Minute)
		ids = append(ids, mustRefresh(t, s, o).Version)
	}
	return ids
}

func exists(t *testing.T, s *Store, id string) bool {
	t.Helper()
	_, err := os.Stat(s.VersionDir(id))
	return err == nil
}

// A version that cannot be read may well be complete: retention keeps it and says so,
// and still deletes what it knows to be incomplete.
func TestRetentionKeepsVersionsItCannotRead(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	ids := versions(t, s, clock, 4) // ids[3] is current
	os.Remove(filepath.Join(s.VersionDir(ids[0]), ManifestName))
	failOpen(s, s.VersionDir(ids[1]), syscall.EIO)
	failOpen(s, s.VersionDir(ids[2]), syscall.EACCES)
	*clock = clock.Add(48 * time.Hour) // every grace period is over

	vs, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs[:3] { // the fourth is current and readable
		if v.Complete || v.Unreadable != (i > 0) {
			t.Errorf("%s: complete %v, unreadable %v (%s)", v.ID, v.Complete, v.Unreadable, v.Problem)
		}
	}

	deleted, _, err := s.Prune(context.Background(), 1, time.Hour, 0)
	if strings.Join(deleted, ",") != ids[0] {
		t.Errorf("deleted %v, want only the version without a manifest, %s", deleted, ids[0])
	}
	for _, id := range ids[1:] {
		if !exists(t, s, id) {
			t.Errorf("%s was deleted", id)
		}
	}
	if err == nil || !strings.Contains(err.Error(), ids[1]) || !strings.Contains(err.Error(), ids[2]) ||
		!strings.Contains(err.Error(), "input/output error") || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("want an error naming both unreadable versions and why, got %v", err)
	}
}

// Readers read the version current names, however old: after a rollback to a version
// outside keep and past its grace, retention must not lose track of it when the link
// cannot be read.
func TestRetentionKeepsCurrentItCannotResolve(t *testing.T) {
	t.Parallel()
	s, ids := rolledBackTwoDaysAgo(t)
	s.sys.readlink = func(name string) (string, error) {
		return "", &os.PathError{Op: "readlink", Path: name, Err: syscall.EIO}
	}
	deleted, _, err := s.Prune(context.Background(), 2, time.Hour, 0)
	if len(deleted) != 0 || !exists(t, s, ids[0]) {
		t.Errorf("deleted %v without knowing what current is (it is %s)", deleted, ids[0])
	}
	if err == nil || !strings.Contains(err.Error(), "input/output error") {
		t.Errorf("want an error saying current could not be read, got %v", err)
	}
}

// The version a switch replaces is still being read. Its grace is counted from the
// moment the switch marks it; if that mark cannot be made, it would look retired since
// long ago and be deleted under its readers, so the switch is refused.
func TestSwitchRefusedWhenRetirementCannotBeMarked(t *testing.T) {
	t.Parallel()
	s, ids := rolledBackTwoDaysAgo(t) // readers have been on ids[0] for two days
	s.sys.chtimes = func(name string, _, _ time.Time) error {
		return &os.PathError{Op: "chtimes", Path: name, Err: syscall.EPERM}
	}
	o := testOpts()
	o.Keep, o.Grace = 2, time.Hour
	_, err := s.Refresh(context.Background(), o, 0)
	if !exists(t, s, ids[0]) {
		t.Fatalf("%s, current until this refresh, was deleted at once", ids[0])
	}
	if err == nil || !strings.Contains(err.Error(), "operation not permitted") || currentID(t, s) != ids[0] {
		t.Errorf("want the switch refused with the reason and current left on %s; got current %s, error %v", ids[0], currentID(t, s), err)
	}
	if _, err := s.Rollback(context.Background(), ids[3], 0, Checkpoints{}); err == nil || currentID(t, s) != ids[0] {
		t.Errorf("rollback switched without marking %s retired (error %v)", ids[0], err)
	}
}

// A switch marks the version it replaces; when it cannot read the link to learn which
// that is, it must not switch, or the replaced version (current after a rollback, so
// old) would be deleted under its readers as soon as the link reads again.
func TestSwitchRefusedWhenCurrentCannotBeRead(t *testing.T) {
	t.Parallel()
	s, ids := rolledBackTwoDaysAgo(t)
	s.sys.readlink = func(name string) (string, error) { // fails while current names ids[0]
		target, err := os.Readlink(name)
		if err == nil && filepath.Base(target) == ids[0] {
			return "", &os.PathError{Op: "readlink", Path: name, Err: syscall.EIO}
		}
		return target, err
	}
	o := testOpts()
	o.Keep, o.Grace = 2, time.Hour
	_, err := s.Refresh(context.Background(), o, 0)
	if !exists(t, s, ids[0]) {
		t.Fatalf("%s, current until this refresh, was deleted at once", ids[0])
	}
	s.sys.readlink = nil
	if err == nil || currentID(t, s) != ids[0] {
		t.Errorf("want the switch refused and current left on %s; got current %s, error %v", ids[0], currentID(t, s), err)
	}
}

// A link that names no version (hand-edited, say) is no reader's version: a refresh
// replaces it.
func TestRefreshReplacesALinkNamingNoVersion(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	mustRefresh(t, s, testOpts())
	link := filepath.Join(s.Root, CurrentLink)
	os.Remove(link)
	os.Symlink("/etc", link)
	r := mustRefresh(t, s, testOpts())
	if currentID(t, s) != r.Version {
		t.Fatalf("current %s, want %s", currentID(t, s), r.Version)
	}
}

// A store of four versions rolled back to the oldest, whose readers have been on it for two
// days: outside keep and past any grace, yet current.
func rolledBackTwoDaysAgo(t *testing.T) (*Store, []string) {
	t.Helper()
	s := newStore(t)
	clock := fakeClock(s)
	ids := versions(t, s, clock, 4)
	if _, err := s.Rollback(context.Background(), ids[0], 0, Checkpoints{}); err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(48 * time.Hour)
	return s, ids
}
