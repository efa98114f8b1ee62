package main

// Loading the caller's directory tree into the filesystem kustomize reads: regular files only
// (symlinks and devices are skipped, never followed), with the file count and total bytes
// bounded before anything is parsed.

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

type limits struct {
	MaxFiles int   `json:"maxFiles"`
	MaxBytes int64 `json:"maxBytes"`
}

const (
	defaultMaxFiles = 10_000
	defaultMaxBytes = 64 << 20
)

func (l limits) withDefaults() limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = defaultMaxFiles
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = defaultMaxBytes
	}
	return l
}

// sink receives the tree: an in-memory filesystem, or a scratch directory on disk.
type sink interface {
	mkdir(rel string) error
	write(rel string, data []byte) error
}

type memSink struct{ fs filesys.FileSystem }

func (m memSink) mkdir(rel string) error { return m.fs.MkdirAll(path.Join("/", rel)) }
func (m memSink) write(rel string, data []byte) error {
	return m.fs.WriteFile(path.Join("/", rel), data)
}

type diskSink struct{ dir string }

func (d diskSink) mkdir(rel string) error {
	return os.MkdirAll(filepath.Join(d.dir, rel), 0o700)
}
func (d diskSink) write(rel string, data []byte) error {
	return os.WriteFile(filepath.Join(d.dir, rel), data, 0o600)
}

// loadTree copies the regular files below root into dst within the limits.
func loadTree(root string, lim limits, dst sink) error {
	var files int
	var total int64
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("path %q is outside the root", p)
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return dst.mkdir(rel)
		case !d.Type().IsRegular():
			return nil // symlinks, sockets, devices: never followed, never read
		}
		files++
		if files > lim.MaxFiles {
			return errorf("InputTooLarge", "the source holds more than %d files", lim.MaxFiles)
		}
		data, err := readBounded(p, lim.MaxBytes-total)
		if err != nil {
			return err
		}
		if data == nil {
			return errorf("InputTooLarge", "the source is larger than %d bytes", lim.MaxBytes)
		}
		total += int64(len(data))
		return dst.write(rel, data)
	})
}

// inlineTree is a source tree sent with the request (the caller extracted it in memory):
// directories, and regular files with their content (base64 on the wire).
type inlineTree struct {
	Dirs  []string     `json:"dirs"`
	Files []inlineFile `json:"files"`
}

type inlineFile struct {
	Path string `json:"path"`
	Data []byte `json:"data"`
}

// loadInline writes an inline tree into dst within the limits loadTree applies; every path must
// be relative and stay inside the root.
func loadInline(t *inlineTree, lim limits, dst sink) error {
	if len(t.Files) > lim.MaxFiles {
		return errorf("InputTooLarge", "the source holds more than %d files", lim.MaxFiles)
	}
	var total int64
	for _, f := range t.Files {
		total += int64(len(f.Data))
	}
	if total > lim.MaxBytes {
		return errorf("InputTooLarge", "the source is larger than %d bytes", lim.MaxBytes)
	}
	for _, d := range t.Dirs {
		rel, err := cleanRelative(d)
		if err != nil {
			return err
		}
		if err := dst.mkdir(rel); err != nil {
			return err
		}
	}
	for _, f := range t.Files {
		rel, err := cleanRelative(f.Path)
		if err != nil || rel == "" {
			return errorf("BadRequest", "file path %q must be relative and inside the root", f.Path)
		}
		if err := dst.mkdir(path.Dir(rel)); err != nil {
			return err
		}
		data := f.Data
		if data == nil {
			data = []byte{}
		}
		if err := dst.write(rel, data); err != nil {
			return err
		}
	}
	return nil
}

// readBounded reads a regular file without following a symlink swapped in after the walk; nil
// data means the file does not fit in the budget.
func readBounded(p string, budget int64) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, budget+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > budget {
		return nil, nil
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}
