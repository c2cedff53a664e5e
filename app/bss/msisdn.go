package bss

import (
	"fmt"
	"strings"
)

// countryCode is Brazil's; BSS's enquiry wants it in front of the national
// number ("55" + "15471723980"), the other operations the national number.
const countryCode = "55"

// msisdnNational returns the national form of an MSISDN given either way:
// 10 or 11 digits are national already; 12 or 13 digits starting with 55
// lose it. A leading "+" and spaces are ignored.
func msisdnNational(s string) (string, error) {
	d, err := msisdnDigits(s)
	if err != nil {
		return "", err
	}
	switch n := len(d); {
	case n == 10 || n == 11:
		return d, nil
	case (n == 12 || n == 13) && strings.HasPrefix(d, countryCode):
		return d[len(countryCode):], nil
	}
	return "", fmt.Errorf("msisdn %q: want a national number of 10 or 11 digits, optionally after 55", s)
}

// msisdnE164 returns "55" + the national number.
func msisdnE164(s string) (string, error) {
	n, err := msisdnNational(s)
	if err != nil {
		return "", err
	}
	return countryCode + n, nil
}

func msisdnDigits(s string) (string, error) {
	t := strings.TrimPrefix(strings.ReplaceAll(strings.TrimSpace(s), " ", ""), "+")
	if t == "" {
		return "", fmt.Errorf("msisdn is empty")
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("msisdn %q: not a number", s)
		}
	}
	return t, nil
}

// SameMSISDN reports whether two MSISDNs name the same line, in whichever
// form each is written (national or with 55 in front).
func SameMSISDN(a, b string) bool {
	x, err1 := msisdnNational(a)
	y, err2 := msisdnNational(b)
	return err1 == nil && err2 == nil && x == y
}

// NationalMSISDN returns the national form of an MSISDN written either way
// (10 or 11 digits, optionally after 55), or an error naming what is wrong.
func NationalMSISDN(s string) (string, error) { return msisdnNational(s) }
