// relying_go: the Go relying party of tests/interop. It checks pcad's
// certificates, CRLs and OCSP responses with Go's own validators:
// crypto/x509 (Certificate.Verify, ParseRevocationList), crypto/tls and
// golang.org/x/crypto/ocsp.
//
//	relying_go < JOBS
//
// Jobs come on stdin, one per line, and results go to stdout, one per job,
// as described in tests/interop/PROTOCOL.md (path, crl, ocsp and tls
// modes; OK, REVOKED or FAIL). Exits 0 when every job was answered, 2 on a
// malformed line. Built by tests/interop against Debian's
// golang-golang-x-crypto-dev, without network or modules:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build ./relying_go
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// timeout bounds every network operation (OCSP request, TLS session).
const timeout = 10 * time.Second

// fieldCount is the number of TAB-separated fields of each mode's line.
var fieldCount = map[string]int{"path": 7, "crl": 6, "ocsp": 5, "tls": 5}

var usages = map[string]x509.ExtKeyUsage{
	"server": x509.ExtKeyUsageServerAuth,
	"client": x509.ExtKeyUsageClientAuth,
	"code":   x509.ExtKeyUsageCodeSigning,
	"ocsp":   x509.ExtKeyUsageOCSPSigning,
	"any":    x509.ExtKeyUsageAny,
}

// revokedError reports that the leaf is revoked (a REVOKED result).
type revokedError struct{ detail string }

func (e revokedError) Error() string { return e.detail }

// parseLine splits a job line and checks its shape.
func parseLine(line string) ([]string, error) {
	f := strings.Split(line, "\t")
	n, ok := fieldCount[f[0]]
	if !ok {
		return nil, fmt.Errorf("unknown mode %q", f[0])
	}
	if len(f) != n {
		return nil, fmt.Errorf("%s: %d fields, want %d", f[0], len(f), n)
	}
	for i, s := range f {
		if s == "" {
			return nil, fmt.Errorf("%s: field %d is empty", f[0], i+1)
		}
	}
	if f[0] == "path" {
		if _, ok := usages[f[5]]; !ok {
			return nil, fmt.Errorf("unknown usage %q", f[5])
		}
	}
	if f[0] == "tls" {
		if p, err := strconv.Atoi(f[2]); err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("bad port %q", f[2])
		}
	}
	return f, nil
}

// run does one job; nil means OK.
func run(f []string) error {
	switch f[0] {
	case "path":
		_, err := verify(f[2], f[3], f[4], usages[f[5]], f[6])
		return err
	case "crl":
		return checkCRL(f[2], f[3], f[4], f[5])
	case "ocsp":
		return checkOCSP(f[2], f[3], f[4])
	}
	return checkTLS(f[2], f[3], f[4])
}

// result formats a job's result line (without the newline).
func result(id string, err error) string {
	if err == nil {
		return id + "\tOK"
	}
	detail := strings.Join(strings.Fields(err.Error()), " ")
	var rev revokedError
	if errors.As(err, &rev) {
		return id + "\tREVOKED\t" + detail
	}
	return id + "\tFAIL\t" + detail
}

// readPEM returns the DER of every PEM block of the given type in a file,
// or the whole file when it has no PEM block at all (taken as DER).
func readPEM(path, blockType string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		return [][]byte{data}, nil
	}
	var ders [][]byte
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		if blk.Type == blockType {
			ders = append(ders, blk.Bytes)
		}
	}
	if len(ders) == 0 {
		return nil, fmt.Errorf("%s: no %s PEM block", path, blockType)
	}
	return ders, nil
}

// readCerts parses every certificate in a file.
func readCerts(path string) ([]*x509.Certificate, error) {
	ders, err := readPEM(path, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// readPool makes a pool of the certificates in a comma-separated list of
// files ("-" for none).
func readPool(list string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if list == "-" {
		return pool, nil
	}
	for _, path := range strings.Split(list, ",") {
		certs, err := readCerts(path)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}

// verify validates LEAF -> INTERS -> ROOTS now, for usage and host ("-":
// no name check), and returns the first chain found.
func verify(leafPath, inters, roots string, usage x509.ExtKeyUsage,
	host string) ([]*x509.Certificate, error) {
	leafs, err := readCerts(leafPath)
	if err != nil {
		return nil, err
	}
	opts := x509.VerifyOptions{
		KeyUsages:   []x509.ExtKeyUsage{usage},
		CurrentTime: time.Now(),
	}
	if host != "-" {
		opts.DNSName = host
	}
	if opts.Intermediates, err = readPool(inters); err != nil {
		return nil, err
	}
	if opts.Roots, err = readPool(roots); err != nil {
		return nil, err
	}
	chains, err := leafs[0].Verify(opts)
	if err != nil {
		return nil, err
	}
	return chains[0], nil
}

// leafAndIssuer validates the path for any usage and returns the leaf and
// its issuer (the verified chain's second element).
func leafAndIssuer(leafPath, inters, roots string) (leaf, issuer *x509.Certificate, err error) {
	chain, err := verify(leafPath, inters, roots, x509.ExtKeyUsageAny, "-")
	if err != nil {
		return nil, nil, err
	}
	if len(chain) < 2 {
		return nil, nil, errors.New("the leaf is itself a trust anchor")
	}
	return chain[0], chain[1], nil
}

// readCRLs parses every CRL in a comma-separated list of files.
func readCRLs(list string) ([]*x509.RevocationList, error) {
	if list == "-" {
		return nil, nil
	}
	var crls []*x509.RevocationList
	for _, path := range strings.Split(list, ",") {
		ders, err := readPEM(path, "X509 CRL")
		if err != nil {
			return nil, err
		}
		for _, der := range ders {
			crl, err := x509.ParseRevocationList(der)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			crls = append(crls, crl)
		}
	}
	return crls, nil
}

// usableCRLs returns the CRLs issued and signed by issuer and current now;
// an error when there is none.
func usableCRLs(crls []*x509.RevocationList, issuer *x509.Certificate) ([]*x509.RevocationList, error) {
	var good []*x509.RevocationList
	lastErr := errors.New("no CRL for the leaf's issuer")
	now := time.Now()
	for _, crl := range crls {
		if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
			continue
		}
		if err := crl.CheckSignatureFrom(issuer); err != nil {
			lastErr = fmt.Errorf("CRL signature: %v", err)
		} else if now.Before(crl.ThisUpdate) {
			lastErr = fmt.Errorf("CRL not yet valid (thisUpdate %v)", crl.ThisUpdate)
		} else if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
			lastErr = fmt.Errorf("CRL expired (nextUpdate %v)", crl.NextUpdate)
		} else {
			good = append(good, crl)
		}
	}
	if len(good) == 0 {
		return nil, lastErr
	}
	return good, nil
}

// checkCRL validates the path, then looks the leaf up in the issuer's CRLs.
func checkCRL(leafPath, inters, roots, crlList string) error {
	leaf, issuer, err := leafAndIssuer(leafPath, inters, roots)
	if err != nil {
		return err
	}
	crls, err := readCRLs(crlList)
	if err != nil {
		return err
	}
	if crls, err = usableCRLs(crls, issuer); err != nil {
		return err
	}
	for _, crl := range crls {
		for _, rc := range crl.RevokedCertificates {
			if rc.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
				return revokedError{fmt.Sprintf("serial %x revoked at %v",
					leaf.SerialNumber, rc.RevocationTime)}
			}
		}
	}
	return nil
}

// ocspURL returns the leaf's first http:// OCSP responder.
func ocspURL(leaf *x509.Certificate) (string, error) {
	for _, u := range leaf.OCSPServer {
		if strings.HasPrefix(u, "http://") {
			return u, nil
		}
	}
	return "", errors.New("the leaf names no http:// OCSP responder")
}

// askOCSP posts an OCSP request for leaf and returns the response's DER.
func askOCSP(leaf, issuer *x509.Certificate) ([]byte, error) {
	url, err := ocspURL(leaf)
	if err != nil {
		return nil, err
	}
	req, err := ocsp.CreateRequest(leaf, issuer, nil)
	if err != nil {
		return nil, err
	}
	client := http.Client{Timeout: timeout}
	resp, err := client.Post(url, "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("OCSP responder %s: HTTP %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// checkResponder checks a delegated responder certificate embedded in the
// response (ParseResponseForCert checked only that the issuer signed it).
func checkResponder(c *x509.Certificate, now time.Time) error {
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return errors.New("OCSP responder certificate is not valid now")
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageOCSPSigning {
			return nil
		}
	}
	return errors.New("OCSP responder certificate lacks OCSPSigning")
}

// checkOCSP validates the path, asks the leaf's OCSP responder and
// reports the leaf's status.
func checkOCSP(leafPath, inters, roots string) error {
	leaf, issuer, err := leafAndIssuer(leafPath, inters, roots)
	if err != nil {
		return err
	}
	der, err := askOCSP(leaf, issuer)
	if err != nil {
		return err
	}
	resp, err := ocsp.ParseResponseForCert(der, leaf, issuer)
	if err != nil {
		return fmt.Errorf("OCSP response: %v", err)
	}
	now := time.Now()
	if resp.Certificate != nil {
		if err := checkResponder(resp.Certificate, now); err != nil {
			return err
		}
	}
	if now.Before(resp.ThisUpdate) {
		return fmt.Errorf("OCSP response not yet valid (thisUpdate %v)", resp.ThisUpdate)
	}
	if !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate) {
		return fmt.Errorf("OCSP response expired (nextUpdate %v)", resp.NextUpdate)
	}
	switch resp.Status {
	case ocsp.Good:
		return nil
	case ocsp.Revoked:
		return revokedError{fmt.Sprintf("revoked at %v, reason %d",
			resp.RevokedAt, resp.RevocationReason)}
	}
	return errors.New("OCSP status unknown")
}

// checkTLS connects to 127.0.0.1:port, verifies the server for host under
// roots, sends an HTTP request and reads the answer's first line.
func checkTLS(port, host, roots string) error {
	if host == "-" {
		return errors.New("tls needs a host name")
	}
	pool, err := readPool(roots)
	if err != nil {
		return err
	}
	conf := &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS12}
	dialer := &net.Dialer{Timeout: timeout}
	conn, err := tls.DialWithDialer(dialer, "tcp", net.JoinHostPort("127.0.0.1", port), conf)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the answer: %v", err)
	}
	if !strings.HasPrefix(line, "HTTP/") {
		return fmt.Errorf("unexpected answer %q", strings.TrimSpace(line))
	}
	return nil
}

func main() {
	if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: relying_go < JOBS (one TAB-separated job a line)")
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 1<<20)
	for in.Scan() {
		line := strings.TrimSuffix(in.Text(), "\r")
		if line == "" {
			continue
		}
		f, err := parseLine(line)
		if err != nil {
			fmt.Fprintf(os.Stderr, "relying_go: malformed line %q: %v\n", line, err)
			os.Exit(2)
		}
		fmt.Println(result(f[1], run(f)))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "relying_go: reading stdin:", err)
		os.Exit(2)
	}
}
