// Command eddy-cluster is eddy's local Kubernetes control plane: one multi-call binary whose
// `up` sub-command supervises etcd (in-process) and kube-apiserver, kube-controller-manager,
// kube-scheduler and KWOK (as child processes of the same binary). See docs/adr/0002.
package main

import (
	"fmt"
	"os"

	_ "time/tzdata" // CronJob time zones, as the upstream binaries do

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

const usage = `usage: eddy-cluster <command> [flags]

commands:
  up                        run a control plane in the foreground (see: eddy-cluster up --help)
  version                   print the Kubernetes version this binary runs
  kube-apiserver, kube-controller-manager, kube-scheduler, kwok
                            run one component (used by 'up' for its children)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	sub, args := os.Args[1], os.Args[2:]
	switch sub {
	case "up":
		os.Exit(runUp(args))
	case "version":
		fmt.Println(kubernetesVersion())
	case "kube-apiserver":
		os.Exit(runCobra(apiserver.NewAPIServerCommand(), args))
	case "kube-controller-manager":
		os.Exit(runCobra(controllermanager.NewControllerManagerCommand(), args))
	case "kube-scheduler":
		os.Exit(runCobra(scheduler.NewSchedulerCommand(), args))
	case "kwok":
		os.Exit(runKwok(args))
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "eddy-cluster: unknown command %q\n%s", sub, usage)
		os.Exit(2)
	}
}

func runCobra(cmd *cobra.Command, args []string) int {
	cmd.SetArgs(args)
	return cli.Run(cmd)
}
