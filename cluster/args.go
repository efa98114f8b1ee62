package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// The flags of each component. Everything listens on 127.0.0.1 only.

func apiserverArgs(dir string, p pki, ports map[string]int) []string {
	return []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1", // the machine may have no default route
		fmt.Sprintf("--secure-port=%d", ports["apiserver"]),
		fmt.Sprintf("--etcd-servers=https://127.0.0.1:%d", ports["etcd"]),
		"--etcd-cafile=" + p.caCert(),
		"--etcd-certfile=" + p.cert("apiserver-etcd-client"),
		"--etcd-keyfile=" + p.key("apiserver-etcd-client"),
		"--tls-cert-file=" + p.cert("apiserver"),
		"--tls-private-key-file=" + p.key("apiserver"),
		"--client-ca-file=" + p.caCert(),
		"--requestheader-client-ca-file=" + p.frontProxyCA(),
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + p.cert("front-proxy-client"),
		"--proxy-client-key-file=" + p.key("front-proxy-client"),
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPub(),
		"--service-account-signing-key-file=" + p.saKey(),
		"--service-cluster-ip-range=" + serviceCIDR,
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		// EDDY_CLUSTER_PROFILING=1 serves /debug/pprof, to see where a benchmark's API server time goes.
		fmt.Sprintf("--profiling=%t", os.Getenv("EDDY_CLUSTER_PROFILING") == "1"),
		"--cert-dir=" + filepath.Join(dir, "apiserver-certs"),
	}
}

func controllerManagerArgs(p pki, ports map[string]int, kubeconfig string, perControllerCredentials bool) []string {
	return []string{
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports["controller-manager"]),
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		fmt.Sprintf("--use-service-account-credentials=%t", perControllerCredentials),
		"--service-account-private-key-file=" + p.saKey(),
		"--root-ca-file=" + p.caCert(),
		"--cluster-signing-cert-file=" + p.caCert(),
		"--cluster-signing-key-file=" + p.key("ca"),
		"--cluster-name=eddy",
		"--controllers=*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle-controller,-node-route-controller",
		"--profiling=false",
		// The client-side defaults (20 QPS, burst 30) make 100 new Deployments take ~20 s to be
		// observed; benchmarks create up to 1000 at once on a loopback API server.
		fmt.Sprintf("--kube-api-qps=%d", controllerManagerQPS),
		fmt.Sprintf("--kube-api-burst=%d", controllerManagerBurst),
		"--concurrent-deployment-syncs=10",
		"--concurrent-replicaset-syncs=10",
	}
}

const (
	controllerManagerQPS   = 200
	controllerManagerBurst = 400
)

func schedulerArgs(ports map[string]int, kubeconfig string) []string {
	return []string{
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports["scheduler"]),
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--profiling=false",
	}
}

func kwokArgs(dir string, ports map[string]int, kubeconfig string) []string {
	stages := filepath.Join(dir, "kwok-stages.yaml")
	// Written here rather than at build time so the stages always match the linked KWOK.
	if err := os.WriteFile(stages, []byte(kwokStages()), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "eddy-cluster: writing %s: %v\n", stages, err)
	}
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + stages,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + fakeNodeAnnotation + "=fake",
		fmt.Sprintf("--node-lease-duration-seconds=%d", nodeLeaseSeconds),
		fmt.Sprintf("--server-address=127.0.0.1:%d", ports["kwok"]),
		"--cidr=" + podCIDR,
		"--node-ip=127.0.0.1",
	}
}
