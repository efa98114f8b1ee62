package main

// Remote bases: refused unless the request allows them. A scan of every kustomization in the
// tree refuses references to git repositories and URLs before kustomize runs; as a second line,
// kustomize's HTTP client and git clones are blocked for the duration of the build.

import (
	"errors"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
	"sync/atomic"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

var (
	urlScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://`)
	// host/org/repo forms kustomize accepts without a scheme (github.com/org/repo//dir?ref=x).
	hostPath = regexp.MustCompile(`^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+(:[0-9]+)?/`)
)

func looksRemote(ref string) bool {
	return urlScheme.MatchString(ref) || strings.HasPrefix(ref, "git@") || strings.HasPrefix(ref, "gh:")
}

// findRemoteReference returns the first remote reference of any kustomization in fsys.
func findRemoteReference(fsys filesys.FileSystem, _ string) (string, bool) {
	names := map[string]bool{}
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		names[n] = true
	}
	var found string
	_ = fsys.Walk("/", func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !names[path.Base(p)] || found != "" {
			return nil
		}
		data, err := fsys.ReadFile(p)
		if err != nil {
			return nil
		}
		var k types.Kustomization
		if yaml.Unmarshal(data, &k) != nil {
			return nil // kustomize reports the syntax error itself
		}
		found = remoteIn(fsys, path.Dir(p), &k)
		return nil
	})
	return found, found != ""
}

func remoteIn(fsys filesys.FileSystem, dir string, k *types.Kustomization) string {
	for _, list := range [][]string{k.Resources, k.Bases, k.Components} {
		for _, ref := range list {
			local := fsys.Exists(path.Join(dir, ref))
			if looksRemote(ref) || (!local && hostPath.MatchString(ref)) {
				return ref
			}
		}
	}
	files := append(append(append([]string{}, k.Crds...), k.Configurations...), k.Generators...)
	files = append(append(files, k.Transformers...), k.Validators...)
	files = append(files, k.OpenAPI["path"])
	for _, p := range k.Patches {
		files = append(files, p.Path)
	}
	for _, r := range k.Replacements {
		files = append(files, r.Path)
	}
	for _, g := range k.ConfigMapGenerator {
		files = append(append(append(files, g.FileSources...), g.EnvSources...), g.EnvSource)
	}
	for _, g := range k.SecretGenerator {
		files = append(append(append(files, g.FileSources...), g.EnvSources...), g.EnvSource)
	}
	for _, f := range files {
		// a file source may be "key=path"
		if looksRemote(f) || looksRemote(f[strings.Index(f, "=")+1:]) {
			return f
		}
	}
	return ""
}

var errRemoteRefused = errors.New("remote bases are disabled for this build")

// refusingTransport stands in for http.DefaultTransport while remote bases are refused.
type refusingTransport struct{ hits *atomic.Bool }

func (t refusingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	t.hits.Store(true)
	return nil, errRemoteRefused
}

type networkGuard struct {
	hits      *atomic.Bool
	transport http.RoundTripper
	env       map[string]*string
}

// guardNetwork points kustomize's side effects at this build: clones land in scratch, git may
// only speak HTTPS (and nothing when remote bases are refused), HTTP fetches are refused.
// Requests run one at a time, so swapping process-wide settings is safe here.
func guardNetwork(allowed bool, scratch string) *networkGuard {
	g := &networkGuard{hits: &atomic.Bool{}, transport: http.DefaultTransport, env: map[string]*string{}}
	protocols := "https"
	if !allowed {
		protocols = "none"
		http.DefaultTransport = refusingTransport{g.hits}
	}
	g.setenv("TMPDIR", scratch)
	g.setenv("GIT_ALLOW_PROTOCOL", protocols)
	g.setenv("GIT_TERMINAL_PROMPT", "0")
	g.setenv("GIT_CONFIG_NOSYSTEM", "1")
	return g
}

func (g *networkGuard) setenv(k, v string) {
	if old, ok := os.LookupEnv(k); ok {
		g.env[k] = &old
	} else {
		g.env[k] = nil
	}
	_ = os.Setenv(k, v)
}

func (g *networkGuard) attempted() bool { return g.hits.Load() }

func (g *networkGuard) restore() {
	http.DefaultTransport = g.transport
	for k, v := range g.env {
		if v == nil {
			_ = os.Unsetenv(k)
		} else {
			_ = os.Setenv(k, *v)
		}
	}
}
