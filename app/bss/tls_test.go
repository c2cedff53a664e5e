package bss_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string
	server                    *tls.Config
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "BSS test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leaf := func(serial int64, usage x509.ExtKeyUsage, name string) (tls.Certificate, []byte, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		keyDER, err := x509.MarshalECPrivateKey(key)
		require.NoError(t, err)
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		require.NoError(t, err)
		return pair, certPEM, keyPEM
	}
	serverPair, _, _ := leaf(2, x509.ExtKeyUsageServerAuth, "bss")
	_, clientCert, clientKey := leaf(3, x509.ExtKeyUsageClientAuth, "pff")

	p := testPKI{
		caFile:   filepath.Join(dir, "ca.pem"),
		certFile: filepath.Join(dir, "client.pem"),
		keyFile:  filepath.Join(dir, "client-key.pem"),
	}
	require.NoError(t, os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))
	require.NoError(t, os.WriteFile(p.certFile, clientCert, 0o600))
	require.NoError(t, os.WriteFile(p.keyFile, clientKey, 0o600))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	p.server = &tls.Config{
		Certificates: []tls.Certificate{serverPair},
		ClientCAs:    pool, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS12,
	}
	return p
}

func TestMutualTLS(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	readArgs := map[string]any{"customer_id": singleCustomer, "contract_id": singleContract}
	tests := []struct {
		name    string
		tls     bss.TLSConfig
		outcome bss.Outcome
		sent    bool
	}{
		{"CA and client certificate", bss.TLSConfig{CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile}, bss.Success, true},
		{"server not trusted: nothing sent", bss.TLSConfig{CertFile: pki.certFile, KeyFile: pki.keyFile}, bss.Transient, false},
		{"no client certificate", bss.TLSConfig{CAFile: pki.caFile}, bss.Transient, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, fixtureOptions{
				start:  bsssim.StartOptions{TLS: pki.server},
				system: func(c *bss.SystemConfig) { c.TLS = tt.tls },
			})
			require.Contains(t, f.servers.URLs[0], "https://")
			r := f.call(t, "line.read_contract", readArgs)
			require.Equal(t, tt.outcome, r.Outcome, "err: %v", r.Err)
			if tt.outcome == bss.Success {
				require.Equal(t, singleContractX, r.Value.(map[string]any)["externalId"])
			}
			if !tt.sent {
				// A handshake that fails on the client's side happens before
				// anything is written.
				require.False(t, r.Sent)
				require.Empty(t, f.sim.Requests())
			}
		})
	}
}

func TestTLSFilesAreChecked(t *testing.T) {
	t.Parallel()
	cat, err := bss.LoadCatalogue()
	require.NoError(t, err)
	sc := bss.SystemConfig{Clusters: []string{"https://bss.invalid"}, TLS: bss.TLSConfig{CAFile: "/nonexistent/ca.pem"}}
	_, err = bss.NewClient(cat, bss.Config{Systems: map[string]bss.SystemConfig{"bias": sc, "bae": sc, "cpm": sc}})
	require.ErrorContains(t, err, "bss.systems.bae.tls.ca_file")
}
