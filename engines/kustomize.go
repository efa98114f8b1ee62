package main

// The kustomize.build op: krusty with the options `kubectl kustomize` 1.35 (kustomize 5.7.1)
// uses by default, on a filesystem holding only the caller's tree.

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

type buildParams struct {
	// Root is a directory to load; Tree the same content sent inline (one of the two).
	Root             string      `json:"root"`
	Tree             *inlineTree `json:"tree"`
	Path             string `json:"path"`
	AllowRemoteBases bool   `json:"allowRemoteBases"`
	Limits           limits `json:"limits"`
	// Output "json" returns the objects as JSON (what a controller applies, without a YAML
	// round trip on the caller's side); anything else the YAML `kubectl kustomize` prints.
	Output string `json:"output"`
}

type buildResult struct {
	YAML    string            `json:"yaml,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// kubectlOptions mirrors `kubectl kustomize` without flags: root-only load restrictions, no
// exec/container/Go plugins, no Helm, legacy output order unless the kustomization sets
// sortOptions (the flag's unset value, so no "set twice" warning), no managed-by label.
func kubectlOptions() *krusty.Options {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.PluginConfig.HelmConfig.Enabled = false
	opts.AddManagedbyLabel = false
	return opts
}

// builder runs kustomize builds; scratchDir is owned by the parent, which removes it when this
// process exits (a killed process cannot clean up after itself).
type builder struct{ scratchDir string }

func (b *builder) kustomizeBuild(raw json.RawMessage) (any, error) {
	var p buildParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, errorf("BadRequest", "malformed kustomize.build params: %v", err)
	}
	if p.Tree == nil && (p.Root == "" || !filepath.IsAbs(p.Root)) {
		return nil, errorf("BadRequest", "root must be an absolute directory, got %q", p.Root)
	}
	if p.Tree != nil && p.Root != "" {
		return nil, errorf("BadRequest", "root and tree are exclusive")
	}
	rel, err := cleanRelative(p.Path)
	if err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp(b.scratchDir, "build-")
	if err != nil {
		return nil, err
	}
	// kustomize's git cloner makes its clone directories in TMPDIR; a per-build TMPDIR makes
	// sure they are removed with the build (the in-memory filesystem cannot clean them up).
	defer os.RemoveAll(scratch)
	net := guardNetwork(p.AllowRemoteBases, scratch)
	defer net.restore()

	fsys, target, err := prepareFS(p, rel, scratch)
	if err != nil {
		return nil, err
	}
	if !p.AllowRemoteBases {
		if ref, found := findRemoteReference(fsys, target); found {
			return nil, errorf("RemoteBaseRefused", "remote base %q refused: remote bases are disabled for this build", ref)
		}
	}
	m, err := krusty.MakeKustomizer(kubectlOptions()).Run(fsys, target)
	if err == nil {
		var res buildResult
		if res, err = render(m, p.Output); err == nil {
			return res, nil
		}
	}
	if net.attempted() {
		return nil, errorf("RemoteBaseRefused", "remote base refused: remote bases are disabled for this build (%v)", err)
	}
	return nil, errorf("BuildFailed", "%s", err.Error())
}

// render gives the built objects as JSON ("json") or as the YAML `kubectl kustomize` prints.
func render(m resmap.ResMap, output string) (buildResult, error) {
	if output != "json" {
		out, err := m.AsYaml()
		return buildResult{YAML: string(out)}, err
	}
	objects := make([]json.RawMessage, 0, m.Size())
	for _, r := range m.Resources() {
		b, err := r.MarshalJSON()
		if err != nil {
			return buildResult{}, err
		}
		objects = append(objects, b)
	}
	return buildResult{Objects: objects}, nil
}

// prepareFS loads the tree in memory, or on disk in the scratch directory when remote bases
// may be cloned (kustomize clones with the git CLI, which needs a real directory).
func prepareFS(p buildParams, rel, scratch string) (filesys.FileSystem, string, error) {
	lim := p.Limits.withDefaults()
	load := func(dst sink) error {
		if p.Tree != nil {
			return loadInline(p.Tree, lim, dst)
		}
		return loadTree(p.Root, lim, dst)
	}
	if !p.AllowRemoteBases {
		fsys := filesys.MakeFsInMemory()
		if err := load(memSink{fsys}); err != nil {
			return nil, "", err
		}
		return fsys, path.Join("/", rel), nil
	}
	dir := filepath.Join(scratch, "tree")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	if err := load(diskSink{dir}); err != nil {
		return nil, "", err
	}
	return filesys.MakeFsOnDisk(), filepath.Join(dir, filepath.FromSlash(rel)), nil
}

// cleanRelative keeps the build path inside the root.
func cleanRelative(p string) (string, error) {
	c := path.Clean(filepath.ToSlash(p))
	if strings.Contains(p, "\x00") || path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
		return "", errorf("BadRequest", "path %q must be relative and inside the root", p)
	}
	if c == "." {
		return "", nil
	}
	return c, nil
}
