package main

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// child is one component process (kube-apiserver, …) started from this same binary.
// A child that exits on its own is restarted after a pause: tests kill the API server on
// purpose to prove clients recover, and a real node's kubelet would restart it too.
type child struct {
	name    string
	args    []string
	logPath string
	env     []string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	stopping bool
	restarts int
	onStart  func(name string, pid int)
}

func (c *child) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked()
}

func (c *child) startLocked() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(self, append([]string{c.name}, c.args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), c.env...)
	// Children die with the supervisor, so a killed `up` never leaves a control plane behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("%s: %w", c.name, err)
	}
	c.cmd = cmd
	exited := make(chan struct{})
	c.exited = exited
	if c.onStart != nil {
		c.onStart(c.name, cmd.Process.Pid)
	}
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		close(exited)
		c.afterExit()
	}()
	return nil
}

func (c *child) afterExit() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return
	}
	c.restarts++
	fmt.Fprintf(os.Stderr, "eddy-cluster: %s exited; restarting (restart %d, log %s)\n", c.name, c.restarts, c.logPath)
	time.AfterFunc(time.Second, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.stopping {
			if err := c.startLocked(); err != nil {
				fmt.Fprintf(os.Stderr, "eddy-cluster: restarting %s: %v\n", c.name, err)
			}
		}
	})
}

// running reports whether the current process is still alive (used while waiting for readiness).
func (c *child) running() bool {
	c.mu.Lock()
	ch := c.exited
	c.mu.Unlock()
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM, waits up to grace, then SIGKILLs, and returns only once the process is gone.
func (c *child) stop(grace time.Duration) {
	c.mu.Lock()
	c.stopping = true
	cmd, exited := c.cmd, c.exited
	c.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}
