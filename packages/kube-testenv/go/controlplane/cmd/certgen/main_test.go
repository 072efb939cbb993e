package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pool(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}

func TestCertgen(t *testing.T) {
	dir := t.TempDir()
	if err := run(dir, false, 24*time.Hour*30, "front-proxy-client", "admin", []string{"virt-api.kubevirt.svc", "10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	ca := readCert(t, filepath.Join(dir, "ca.crt"))
	fpCA := readCert(t, filepath.Join(dir, "front-proxy-ca.crt"))

	serving := readCert(t, filepath.Join(dir, "serving.crt"))
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "virt-api.kubevirt.svc", "10.1.2.3"} {
		if _, err := serving.Verify(x509.VerifyOptions{DNSName: host, Roots: pool(ca)}); err != nil {
			t.Errorf("serving cert for %s: %v", host, err)
		}
	}
	fp := readCert(t, filepath.Join(dir, "front-proxy-client.crt"))
	if _, err := fp.Verify(x509.VerifyOptions{Roots: pool(fpCA), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("front-proxy client cert: %v", err)
	}
	if fp.Subject.CommonName != "front-proxy-client" {
		t.Errorf("front-proxy CN = %q", fp.Subject.CommonName)
	}
	admin := readCert(t, filepath.Join(dir, "admin.crt"))
	if len(admin.Subject.Organization) != 1 || admin.Subject.Organization[0] != "system:masters" {
		t.Errorf("admin O = %v", admin.Subject.Organization)
	}
	for _, f := range []string{"sa.key", "sa.pub", "serving.key", "ca.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	// Same names: kept. Other names: regenerated.
	before, _ := os.ReadFile(filepath.Join(dir, "serving.crt"))
	if err := run(dir, false, 24*time.Hour*30, "front-proxy-client", "admin", []string{"virt-api.kubevirt.svc", "10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	same, _ := os.ReadFile(filepath.Join(dir, "serving.crt"))
	if string(before) != string(same) {
		t.Error("certificates were regenerated for the same names")
	}
	if err := run(dir, false, 24*time.Hour*30, "front-proxy-client", "admin", []string{"other.svc"}); err != nil {
		t.Fatal(err)
	}
	changed := readCert(t, filepath.Join(dir, "serving.crt"))
	if len(changed.DNSNames) != 2 || changed.DNSNames[1] != "other.svc" {
		t.Errorf("SANs after change = %v", changed.DNSNames)
	}
}
