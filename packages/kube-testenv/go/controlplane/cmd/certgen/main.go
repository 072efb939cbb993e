// Command certgen writes the certificates and keys a loopback Kubernetes
// control plane needs, using only the Go standard library:
//
//	ca.crt, ca.key                    cluster CA (signs serving and client certs)
//	serving.crt, serving.key          serving cert for etcd / kube-apiserver / extension servers
//	                                  (SANs: localhost, 127.0.0.1, ::1 and every --san)
//	front-proxy-ca.crt, .key          CA for the aggregator's front proxy (requestheader client CA)
//	front-proxy-client.crt, .key      client cert the aggregator presents to extension API servers
//	admin.crt, admin.key              client cert (CN=vmportal-admin, O=system:masters)
//	sa.key, sa.pub                    RSA service-account signing key pair (PKCS#1 / PKIX PEM)
//
// Existing files are kept unless --force is given, so it is safe to run twice.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type sanList []string

func (s *sanList) String() string { return strings.Join(*s, ",") }
func (s *sanList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

type keyPair struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func main() {
	var (
		dir          = flag.String("dir", "", "output directory (required)")
		force        = flag.Bool("force", false, "overwrite existing files")
		validity     = flag.Duration("validity", 10*365*24*time.Hour, "certificate validity")
		frontProxyCN = flag.String("front-proxy-cn", "front-proxy-client", "CN of the front-proxy client cert (must be in --requestheader-allowed-names)")
		adminCN      = flag.String("admin-cn", "vmportal-admin", "CN of the admin client cert")
		sans         sanList
	)
	flag.Var(&sans, "san", "extra subject alternative name for the serving cert (DNS name or IP; repeatable, comma-separated ok)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "certgen: --dir is required")
		os.Exit(2)
	}
	if err := run(*dir, *force, *validity, *frontProxyCN, *adminCN, sans); err != nil {
		fmt.Fprintln(os.Stderr, "certgen:", err)
		os.Exit(1)
	}
}

func run(dir string, force bool, validity time.Duration, frontProxyCN, adminCN string, extra []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	now := time.Now().Add(-time.Hour)
	notAfter := now.Add(validity)

	dnsNames := []string{"localhost"}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	for _, s := range extra {
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
		} else if !contains(dnsNames, s) {
			dnsNames = append(dnsNames, s)
		}
	}
	want := record{DNSNames: dnsNames, IPAddresses: ipStrings(ips), FrontProxyCN: frontProxyCN, AdminCN: adminCN}

	// Keep what is there when it was made for the same names.
	marker := filepath.Join(dir, "certgen.json")
	if !force {
		if data, err := os.ReadFile(marker); err == nil {
			var have record
			if json.Unmarshal(data, &have) == nil && have.sameNames(want) {
				fmt.Fprintln(os.Stderr, "certgen: keeping the certificates in", dir, "(same names; --force regenerates)")
				return nil
			}
			fmt.Fprintln(os.Stderr, "certgen: names changed, regenerating every file in", dir)
		}
	}

	ca, err := newCA("vmportal-kube-testenv-ca", now, notAfter)
	if err != nil {
		return err
	}
	fpCA, err := newCA("vmportal-kube-testenv-front-proxy-ca", now, notAfter)
	if err != nil {
		return err
	}

	serving, err := newLeaf(ca, pkix.Name{CommonName: "localhost"}, dnsNames, ips, now, notAfter,
		[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth})
	if err != nil {
		return err
	}
	fpClient, err := newLeaf(fpCA, pkix.Name{CommonName: frontProxyCN}, nil, nil, now, notAfter,
		[]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	if err != nil {
		return err
	}
	admin, err := newLeaf(ca, pkix.Name{CommonName: adminCN, Organization: []string{"system:masters"}}, nil, nil, now, notAfter,
		[]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	if err != nil {
		return err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}

	files := map[string][]byte{}
	for name, kp := range map[string]keyPair{
		"ca": ca, "serving": serving, "front-proxy-ca": fpCA, "front-proxy-client": fpClient, "admin": admin,
	} {
		files[name+".crt"] = pemCert(kp.cert)
		k, err := pemKey(kp.key)
		if err != nil {
			return err
		}
		files[name+".key"] = k
	}
	files["sa.key"] = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)})
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}
	files["sa.pub"] = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})

	for name, data := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".key") {
			mode = 0o600
		}
		if err := writeAtomic(filepath.Join(dir, name), data, mode); err != nil {
			return err
		}
	}
	want.NotAfter = notAfter.UTC().Format(time.RFC3339)
	info, _ := json.MarshalIndent(want, "", "  ")
	return writeAtomic(marker, append(info, '\n'), 0o644)
}

// record is certgen.json: what the files in the directory were made for.
type record struct {
	DNSNames     []string `json:"dnsNames"`
	IPAddresses  []string `json:"ipAddresses"`
	FrontProxyCN string   `json:"frontProxyCN"`
	AdminCN      string   `json:"adminCN"`
	NotAfter     string   `json:"notAfter,omitempty"`
}

func (r record) sameNames(o record) bool {
	if r.FrontProxyCN != o.FrontProxyCN || r.AdminCN != o.AdminCN {
		return false
	}
	if t, err := time.Parse(time.RFC3339, r.NotAfter); err != nil || time.Until(t) < 24*time.Hour {
		return false
	}
	return strings.Join(r.DNSNames, ",") == strings.Join(o.DNSNames, ",") &&
		strings.Join(r.IPAddresses, ",") == strings.Join(o.IPAddresses, ",")
}

func newCA(cn string, notBefore, notAfter time.Time) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	return keyPair{cert, key}, err
}

func newLeaf(ca keyPair, subject pkix.Name, dns []string, ips []net.IP, notBefore, notAfter time.Time, usage []x509.ExtKeyUsage) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      subject,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  usage,
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	return keyPair{cert, key}, err
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func pemKey(k crypto.Signer) ([]byte, error) {
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("unexpected key type")
	}
	der, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".certgen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return out
}
