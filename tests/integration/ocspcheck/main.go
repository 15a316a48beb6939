// ocspcheck: an OCSP response checked the way Go relying parties check it,
// with golang.org/x/crypto/ocsp.ParseResponseForCert.
//
//	ocspcheck RESPONSE.der LEAF.pem ISSUER.pem
//
// Prints "good", "revoked" or "unknown" and exits 0, or prints the error
// and exits 1. Built by tests/integration/test_ocsp.py against Debian's
// golang-golang-x-crypto-dev (GO111MODULE=off GOPATH=/usr/share/gocode).
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"golang.org/x/crypto/ocsp"
)

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return x509.ParseCertificate(blk.Bytes)
}

func check(args []string) (string, error) {
	der, err := os.ReadFile(args[0])
	if err != nil {
		return "", err
	}
	leaf, err := readCert(args[1])
	if err != nil {
		return "", err
	}
	issuer, err := readCert(args[2])
	if err != nil {
		return "", err
	}
	resp, err := ocsp.ParseResponseForCert(der, leaf, issuer)
	if err != nil {
		return "", err
	}
	switch resp.Status {
	case ocsp.Good:
		return "good", nil
	case ocsp.Revoked:
		return "revoked", nil
	}
	return "unknown", nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: ocspcheck RESPONSE.der LEAF.pem ISSUER.pem")
		os.Exit(2)
	}
	status, err := check(os.Args[1:])
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(status)
}
