package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/version"
)

const (
	serviceCIDR = "10.96.0.0/16"
	podCIDR     = "10.244.0.0/16"
	// nodeLeaseSeconds must be set for KWOK's heartbeat-with-lease stage: without node
	// Leases the node lifecycle controller marks every node NotReady after ~15 minutes.
	nodeLeaseSeconds = 40
)

type upOptions struct {
	dir           string
	name          string
	nodes         int
	apiserverPort int
	readyTimeout  time.Duration
	// perControllerCredentials runs each controller with its own ServiceAccount token
	// (slower start, least privilege) instead of the controller-manager's own identity.
	perControllerCredentials bool
}

func kubernetesVersion() string { return version.Get().GitVersion }

func runUp(args []string) int {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	o := upOptions{}
	fs.StringVar(&o.dir, "dir", "", "state directory of this cluster (required)")
	fs.StringVar(&o.name, "name", "default", "cluster name (used in the kubeconfig context)")
	fs.IntVar(&o.nodes, "nodes", 2, "number of fake KWOK nodes")
	fs.IntVar(&o.apiserverPort, "apiserver-port", 0, "kube-apiserver port on 127.0.0.1 (0 picks a free one)")
	fs.BoolVar(&o.perControllerCredentials, "per-controller-credentials", false, "give each controller its own ServiceAccount credentials (slower start)")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 2*time.Minute, "give up when not ready after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.dir == "" {
		fmt.Fprintln(os.Stderr, "eddy-cluster up: --dir is required")
		return 2
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "eddy-cluster up: %v\n", err)
		return 1
	}
	o.dir = dir
	return newSupervisor(o).run()
}

type supervisor struct {
	o        upOptions
	st       *state
	etcd     *embed.Etcd
	children []*child
}

func newSupervisor(o upOptions) *supervisor {
	return &supervisor{o: o, st: &state{
		Name: o.name, Phase: "Starting", PID: os.Getpid(), Version: kubernetesVersion(),
		Ports: map[string]int{}, Children: map[string]int{}, StartedAt: time.Now(),
		Log: filepath.Join(o.dir, "logs", "supervisor.log"),
	}}
}

func (s *supervisor) run() int {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	if err := s.start(ctx); err != nil {
		s.st.Phase, s.st.Message = "Failed", err.Error()
		_ = s.st.write(s.o.dir)
		fmt.Fprintf(os.Stderr, "eddy-cluster: %v\n", err)
		s.shutdown()
		return 1
	}
	<-ctx.Done()
	s.st.Phase = "Stopping"
	_ = s.st.write(s.o.dir)
	s.shutdown()
	_ = os.Remove(filepath.Join(s.o.dir, "state.json"))
	return 0
}

// phase logs how long each start step took since the start, so slow starts can be explained.
func (s *supervisor) phase(name string) {
	fmt.Fprintf(os.Stderr, "eddy-cluster: %-28s %6.2fs\n", name, time.Since(s.st.StartedAt).Seconds())
}

func (s *supervisor) start(ctx context.Context) error {
	o := s.o
	for _, d := range []string{o.dir, filepath.Join(o.dir, "logs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := s.st.write(o.dir); err != nil {
		return err
	}
	ports, err := s.allocatePorts()
	if err != nil {
		return err
	}
	s.st.Ports = ports
	_, svcNet, _ := net.ParseCIDR(serviceCIDR)
	serviceIP := make(net.IP, len(svcNet.IP.To4()))
	copy(serviceIP, svcNet.IP.To4())
	serviceIP[3] = 1
	p, err := ensurePKI(filepath.Join(o.dir, "pki"), serviceIP)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	tuneOwnGC()
	if s.etcd, err = startEtcd(o.dir, p, ports["etcd"], ports["etcd-peer"]); err != nil {
		return fmt.Errorf("%w (log %s)", err, filepath.Join(o.dir, "logs", "etcd.log"))
	}
	s.phase("etcd ready")
	s.st.Etcd = &etcdAccess{Endpoint: fmt.Sprintf("https://127.0.0.1:%d", ports["etcd"]), CAFile: p.caCert(),
		CertFile: p.cert("apiserver-etcd-client"), KeyFile: p.key("apiserver-etcd-client")}

	server := fmt.Sprintf("https://127.0.0.1:%d", ports["apiserver"])
	s.st.Server = server
	kubeconfigs := map[string]string{}
	for _, id := range []string{"controller-manager", "scheduler", "kwok"} {
		kubeconfigs[id] = filepath.Join(o.dir, id+".kubeconfig")
		if err := writeKubeconfig(kubeconfigs[id], id, server, p, id, false); err != nil {
			return err
		}
	}
	admin := filepath.Join(o.dir, "kubeconfig")
	if err := writeKubeconfig(admin, "eddy-"+o.name, server, p, "admin", true); err != nil {
		return err
	}

	readyCtx, cancel := context.WithTimeout(ctx, o.readyTimeout)
	defer cancel()
	api := s.spawn("kube-apiserver", apiserverArgs(o.dir, p, ports))
	if err := api.start(); err != nil {
		return err
	}
	cs, err := adminClient(admin)
	if err != nil {
		return err
	}
	if err := waitAPIServer(readyCtx, cs, api); err != nil {
		return err
	}
	s.phase("kube-apiserver ready")
	if !o.perControllerCredentials {
		if err := bindSharedControllerIdentity(readyCtx, cs); err != nil {
			return err
		}
	}
	for _, c := range []*child{
		s.spawn("kube-controller-manager", controllerManagerArgs(p, ports, kubeconfigs["controller-manager"], o.perControllerCredentials)),
		s.spawn("kube-scheduler", schedulerArgs(ports, kubeconfigs["scheduler"])),
		s.spawn("kwok", kwokArgs(o.dir, ports, kubeconfigs["kwok"])),
	} {
		if err := c.start(); err != nil {
			return err
		}
	}
	names, err := createNodes(readyCtx, cs, o.nodes)
	if err != nil {
		return err
	}
	s.st.Nodes = names
	if err := waitNodesReady(readyCtx, cs, names); err != nil {
		return fmt.Errorf("%w (KWOK log %s)", err, filepath.Join(o.dir, "logs", "kwok.log"))
	}
	s.phase("nodes ready")
	if err := waitDefaultServiceAccount(readyCtx, cs); err != nil {
		return fmt.Errorf("%w (controller-manager log %s)", err, filepath.Join(o.dir, "logs", "kube-controller-manager.log"))
	}
	now := time.Now()
	s.st.Phase, s.st.Kubeconfig, s.st.ReadyAt = "Ready", admin, &now
	s.st.ReadySeconds = now.Sub(s.st.StartedAt).Seconds()
	fmt.Fprintf(os.Stderr, "eddy-cluster: %s ready in %.1fs at %s\n", o.name, s.st.ReadySeconds, server)
	return s.st.write(o.dir)
}

func (s *supervisor) spawn(name string, args []string) *child {
	c := &child{name: name, args: args, logPath: filepath.Join(s.o.dir, "logs", name+".log"), env: componentEnv()}
	c.onStart = func(name string, pid int) {
		s.st.Children[name] = pid
		_ = s.st.write(s.o.dir)
	}
	s.children = append(s.children, c)
	return c
}

// shutdown stops children in reverse start order and waits for each, then etcd, so the
// next start never finds a port still taken.
func (s *supervisor) shutdown() {
	for i := len(s.children) - 1; i >= 0; i-- {
		s.children[i].stop(15 * time.Second)
	}
	if s.etcd != nil {
		s.etcd.Close()
	}
}

// allocatePorts picks free loopback ports; an explicitly requested API server port that is
// taken is an error, not a silent substitute.
func (s *supervisor) allocatePorts() (map[string]int, error) {
	ports := map[string]int{}
	if s.o.apiserverPort != 0 {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.o.apiserverPort)))
		if err != nil {
			return nil, fmt.Errorf("port %d is taken: %w", s.o.apiserverPort, err)
		}
		_ = l.Close()
		ports["apiserver"] = s.o.apiserverPort
	}
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	for _, name := range []string{"apiserver", "etcd", "etcd-peer", "controller-manager", "scheduler", "kwok"} {
		if ports[name] != 0 {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		held = append(held, l)
		ports[name] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

func adminClient(kubeconfig string) (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	return kubernetes.NewForConfig(cfg)
}

// waitAPIServer polls /readyz; a child that dies meanwhile fails fast with its log path.
func waitAPIServer(ctx context.Context, cs *kubernetes.Clientset, api *child) error {
	for {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		if api.restarts > 0 || !api.running() {
			return fmt.Errorf("kube-apiserver exited during start (log %s)", api.logPath)
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("kube-apiserver not ready (log %s)", api.logPath), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// The control plane shares a small machine with what it serves, and its garbage collection
// was ~15 % of the API server's CPU in a profile of the 1,000-Kustomization benchmark. Memory
// is the cheaper resource here: each component (etcd in this process included) collects at
// 400 % heap growth instead of 100 %, bounded by a soft limit of 2 GiB where the collector
// goes back to working harder (at 1 GiB the API server reached the limit in the 1,000
// benchmark and gave back most of the gain). EDDY_CLUSTER_GOGC overrides the 400 (e.g. 100
// for Go's default).
const (
	defaultGOGC       = "400"
	componentMemLimit = 2 << 30
)

func clusterGOGC() string {
	if v := os.Getenv("EDDY_CLUSTER_GOGC"); v != "" {
		return v
	}
	return defaultGOGC
}

func componentEnv() []string {
	return []string{"GOGC=" + clusterGOGC(), "GOMEMLIMIT=" + strconv.Itoa(componentMemLimit)}
}

// tuneOwnGC applies the same to this process, which runs etcd.
func tuneOwnGC() {
	if pct, err := strconv.Atoi(clusterGOGC()); err == nil {
		debug.SetGCPercent(pct)
	} else if clusterGOGC() == "off" {
		debug.SetGCPercent(-1)
	}
	debug.SetMemoryLimit(componentMemLimit)
}
