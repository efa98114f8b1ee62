package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// state is what the supervisor tells the outside world, in <dir>/state.json. The TypeScript
// CLI polls it during `cluster up` and reads it for `status` and `down`.
type state struct {
	Name         string         `json:"name"`
	Phase        string         `json:"phase"` // Starting, Ready, Failed, Stopping
	Message      string         `json:"message,omitempty"`
	Log          string         `json:"log,omitempty"`
	PID          int            `json:"pid"`
	Version      string         `json:"version"`
	Server       string         `json:"server,omitempty"`
	Kubeconfig   string         `json:"kubeconfig,omitempty"`
	Ports        map[string]int `json:"ports"`
	Children     map[string]int `json:"children"`
	Etcd         *etcdAccess    `json:"etcd,omitempty"`
	Nodes        []string       `json:"nodes,omitempty"`
	StartedAt    time.Time      `json:"startedAt"`
	ReadyAt      *time.Time     `json:"readyAt,omitempty"`
	ReadySeconds float64        `json:"readySeconds,omitempty"`
}

// etcdAccess lets tests reach etcd directly (e.g. to compact it and provoke 410 Gone).
type etcdAccess struct {
	Endpoint string `json:"endpoint"`
	CAFile   string `json:"caFile"`
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

// write replaces state.json atomically so readers never see half a file.
func (s *state) write(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".state.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "state.json"))
}
