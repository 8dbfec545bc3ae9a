// Command pause is the sandbox ("pause") process of the local cluster's pods: it holds the
// pod's namespaces open, reaps children it inherits as PID 1, and exits on SIGINT/SIGTERM.
// Built statically (CGO_ENABLED=0) into the image localhost/agent-storage/pause.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		switch s {
		case syscall.SIGCHLD:
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
		default:
			os.Exit(0)
		}
	}
}
