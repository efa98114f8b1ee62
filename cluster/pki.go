package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki holds the file paths of the cluster's certificates and keys. Everything is signed by
// one CA of our own; each client identity (admin, controller-manager, scheduler, KWOK,
// apiserver→etcd) has its own certificate, as kubeadm lays a cluster out.
type pki struct {
	dir string
}

type certSpec struct {
	name   string
	cn     string
	orgs   []string
	server bool
	client bool
	ips    []net.IP
	dns    []string
}

func (p pki) cert(name string) string { return filepath.Join(p.dir, name+".crt") }
func (p pki) key(name string) string  { return filepath.Join(p.dir, name+".key") }
func (p pki) caCert() string          { return p.cert("ca") }
func (p pki) frontProxyCA() string    { return p.cert("front-proxy-ca") }
func (p pki) saKey() string           { return filepath.Join(p.dir, "sa.key") }
func (p pki) saPub() string           { return filepath.Join(p.dir, "sa.pub") }

var loopback = []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback}

func clusterCertSpecs(serviceIP net.IP) []certSpec {
	return []certSpec{
		{name: "apiserver", cn: "kube-apiserver", server: true, ips: append([]net.IP{serviceIP}, loopback...),
			dns: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
		{name: "etcd-server", cn: "etcd", server: true, client: true, ips: loopback, dns: []string{"localhost"}},
		{name: "apiserver-etcd-client", cn: "kube-apiserver-etcd-client", client: true},
		{name: "admin", cn: "eddy-admin", orgs: []string{"system:masters"}, client: true},
		{name: "controller-manager", cn: "system:kube-controller-manager", client: true},
		{name: "scheduler", cn: "system:kube-scheduler", client: true},
		// KWOK plays every kubelet of every fake node, so it is given cluster-admin rights.
		{name: "kwok", cn: "eddy:kwok", orgs: []string{"system:masters"}, client: true},
	}
}

// ensurePKI creates whatever is missing; an existing CA is kept so kubeconfigs stay valid.
func ensurePKI(dir string, serviceIP net.IP) (pki, error) {
	p := pki{dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return p, err
	}
	caKey, caCert, err := loadOrCreateCA(p, "ca")
	if err != nil {
		return p, fmt.Errorf("CA: %w", err)
	}
	if err := issueMissing(p, clusterCertSpecs(serviceIP), caKey, caCert); err != nil {
		return p, err
	}
	// The aggregation layer's front proxy has a CA of its own, as kubeadm sets it up, so no
	// ordinary client certificate can pose as the proxy.
	fpKey, fpCert, err := loadOrCreateCA(p, "front-proxy-ca")
	if err != nil {
		return p, fmt.Errorf("front-proxy CA: %w", err)
	}
	if err := issueMissing(p, []certSpec{{name: "front-proxy-client", cn: "front-proxy-client", client: true}}, fpKey, fpCert); err != nil {
		return p, err
	}
	if !fileExists(p.saKey()) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return p, err
		}
		if err := writeKey(p.saKey(), k); err != nil {
			return p, err
		}
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			return p, err
		}
		if err := writePEM(p.saPub(), "PUBLIC KEY", der, 0o600); err != nil {
			return p, err
		}
	}
	return p, nil
}

func issueMissing(p pki, specs []certSpec, caKey crypto.Signer, ca *x509.Certificate) error {
	for _, s := range specs {
		if fileExists(p.cert(s.name)) && fileExists(p.key(s.name)) {
			continue
		}
		if err := issue(p, s, caKey, ca); err != nil {
			return fmt.Errorf("certificate %s: %w", s.name, err)
		}
	}
	return nil
}

func loadOrCreateCA(p pki, name string) (crypto.Signer, *x509.Certificate, error) {
	if fileExists(p.cert(name)) && fileExists(p.key(name)) {
		return loadKeyPair(p.cert(name), p.key(name))
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "eddy-" + name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, nil, err
	}
	if err := writeKey(p.key(name), k); err != nil {
		return nil, nil, err
	}
	if err := writePEM(p.cert(name), "CERTIFICATE", der, 0o644); err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return k, c, err
}

func issue(p pki, s certSpec, caKey crypto.Signer, ca *x509.Certificate) error {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: s.cn, Organization: s.orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		IPAddresses:  s.ips,
		DNSNames:     s.dns,
	}
	if s.server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if s.client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writeKey(p.key(s.name), k); err != nil {
		return err
	}
	return writePEM(p.cert(s.name), "CERTIFICATE", der, 0o644)
}

func loadKeyPair(certPath, keyPath string) (crypto.Signer, *x509.Certificate, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	cBlock, _ := pem.Decode(cb)
	kBlock, _ := pem.Decode(kb)
	if cBlock == nil || kBlock == nil {
		return nil, nil, fmt.Errorf("%s or %s is not PEM", certPath, keyPath)
	}
	c, err := x509.ParseCertificate(cBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParseECPrivateKey(kBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return k, c, nil
}

func writeKey(path string, k *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return err
	}
	return writePEM(path, "EC PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return n
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
