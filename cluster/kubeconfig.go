package main

import (
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes a kubeconfig for one client identity. embed=true inlines the
// certificates so the file works when copied elsewhere (the user's admin kubeconfig);
// components read file paths.
func writeKubeconfig(path, contextName, server string, p pki, identity string, embed bool) error {
	cluster := &clientcmdapi.Cluster{Server: server}
	user := &clientcmdapi.AuthInfo{}
	if embed {
		ca, err := os.ReadFile(p.caCert())
		if err != nil {
			return err
		}
		crt, err := os.ReadFile(p.cert(identity))
		if err != nil {
			return err
		}
		key, err := os.ReadFile(p.key(identity))
		if err != nil {
			return err
		}
		cluster.CertificateAuthorityData = ca
		user.ClientCertificateData, user.ClientKeyData = crt, key
	} else {
		cluster.CertificateAuthority = p.caCert()
		user.ClientCertificate, user.ClientKey = p.cert(identity), p.key(identity)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = cluster
	cfg.AuthInfos[contextName] = user
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	cfg.CurrentContext = contextName
	return clientcmd.WriteToFile(*cfg, path)
}
