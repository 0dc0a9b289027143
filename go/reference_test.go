package kpaudit

// A pure-Go version of the transform with encoding/json and
// map[string]any: what a Go user would write instead of this package. It
// exists to be measured against the library (bench_test.go) and is
// faithful enough for that on Key Protect's events (the tests and the
// benchmark give it a Key Protect-only corpus): same severity tables, the
// inferred severities included, same key-material names, same routing and
// fallbacks. Hyper Protect Crypto Services' tables and the ingestion
// envelope are the library's alone. Unlike the library it does not keep member
// order, number spelling, string escapes or duplicate members, and it
// accepts invalid UTF-8 inside strings.

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

var refActionSeverity = map[string]Severity{
	"kms.secrets.delete":              Critical,
	"kms.registrations.delete":        Critical,
	"kms.secrets.rotate":              Warning,
	"kms.secrets.restore":             Warning,
	"kms.secrets.enable":              Warning,
	"kms.secrets.disable":             Warning,
	"kms.secrets.setkeyfordeletion":   Warning,
	"kms.secrets.unsetkeyfordeletion": Warning,
	"kms.policies.write":              Warning,
	"kms.instancepolicies.write":      Warning,
	"kms.instance-policies.write":     Warning,
	// Inferred for actions no documented table rates.
	"kms.secrets.purge":          Critical,
	"kms.kmip.destroy":           Critical,
	"kms.kmip-management.delete": Critical,
	"kms.kmip.revoke":            Warning,
	"kms.kmip.activate":          Warning,
	"kms.secrets.expire":         Warning,
	"kms.secrets.patch":          Warning,
	"kms.key-rings.delete":       Warning,
	"kms.keyrings.delete":        Warning,
	"kms.secrets-alias.delete":   Warning,
	"kms.secrets.deletealias":    Warning,
}

var refStatusSeverity = map[int]Severity{
	401: Critical, 403: Critical, 503: Critical, 507: Critical,
	400: Warning, 409: Warning, 424: Warning, 502: Warning, 504: Warning, 505: Warning,
}

var refKeyMaterial = map[string]bool{
	"payload": true, "encryptednonce": true, "iv": true, "plaintext": true,
	"ciphertext": true, "aad": true, "nonce": true, "authorization": true,
}

var refRegions = map[string]bool{
	"us-south": true, "us-east": true, "eu-gb": true, "eu-de": true, "au-syd": true,
	"jp-tok": true, "jp-osa": true, "ca-tor": true, "br-sao": true, "eu-es": true,
	"ca-mon": true, "in-che": true, "in-mum": true,
}

// refResult is the reference's answer for one event; Tree is the
// transformed event before it is encoded.
type refResult struct {
	Event    []byte
	Tree     map[string]any
	Severity Severity
	Route    string
	Redacted int
}

func refProcess(event []byte) (refResult, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return refResult{}, err
	}
	if m == nil {
		return refResult{}, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err == nil {
		return refResult{}, errors.New("data after the event")
	}
	r := refResult{Tree: m, Severity: max(refAction(m), refStatus(m)), Route: refRoute(m)}
	// Set before stripping, so nothing inside an old value is counted.
	m["severity"] = r.Severity.String()
	r.Redacted = refStrip(m)
	var err error
	r.Event, err = json.Marshal(m)
	return r, err
}

func refAction(m map[string]any) Severity {
	action, _ := m["action"].(string)
	return refActionSeverity[action]
}

func refStatus(m map[string]any) Severity {
	reason, _ := m["reason"].(map[string]any)
	var digits string
	switch code := reason["reasonCode"].(type) {
	case json.Number:
		// A whole number, whichever way it is written (401, 401.0).
		if f, err := code.Float64(); err == nil && f >= 0 && f == math.Trunc(f) && f < 1<<53 && !math.Signbit(f) {
			return refStatusSeverity[int(f)]
		}
		digits = string(code)
	case string:
		digits = code
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return Normal
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return Normal
	}
	return refStatusSeverity[n]
}

func refStrip(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if refKeyMaterial[strings.ToLower(k)] {
				delete(v, k)
				n++
				continue
			}
			n += refStrip(x)
		}
	case []any:
		for _, x := range v {
			n += refStrip(x)
		}
	}
	return n
}

// refRoute falls back from logSourceCRN to target.id to the request URI's
// host only when a field is absent or null.
func refRoute(m map[string]any) string {
	location := ""
	if v, ok := m["logSourceCRN"]; ok && v != nil {
		location = refCRNLocation(v)
	} else if target, _ := m["target"].(map[string]any); target["id"] != nil {
		location = refCRNLocation(target["id"])
	} else if req, _ := m["requestData"].(map[string]any); req["requestURI"] != nil {
		uri, _ := req["requestURI"].(string)
		location = refURILocation(uri)
	}
	if refRegions[location] {
		return location
	}
	if dash := strings.LastIndexByte(location, '-'); dash > 0 {
		zone := location[dash+1:]
		if zone != "" && strings.Trim(zone, "0123456789") == "" && refRegions[location[:dash]] {
			return location[:dash]
		}
	}
	return "unmatched"
}

func refCRNLocation(v any) string {
	s, _ := v.(string)
	rest, ok := strings.CutPrefix(s, "crn:v1:")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "v1:"); !ok {
			return ""
		}
	}
	parts := strings.SplitN(rest, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

func refURILocation(uri string) string {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	host, _, _ = strings.Cut(host, ":")
	host = strings.ToLower(host)
	var region string
	if rest, ok := strings.CutSuffix(host, ".kms.cloud.ibm.com"); ok {
		// <region>, private.<region>, qsc.<region>, private-qsc.<region>
		region = rest
		for _, p := range []string{"private.", "qsc.", "private-qsc."} {
			if r, ok := strings.CutPrefix(rest, p); ok {
				region = r
				break
			}
		}
	} else if rest, ok := strings.CutSuffix(host, ".kms.appdomain.cloud"); ok {
		// <instance>.api.<region>
		parts := strings.Split(rest, ".")
		if len(parts) != 3 || parts[1] != "api" || parts[0] == "" {
			return ""
		}
		region = parts[2]
	} else if rest, ok := strings.CutSuffix(host, ".bluemix.net"); ok {
		region, ok = strings.CutPrefix(rest, "keyprotect.")
		if !ok {
			return ""
		}
	}
	if region == "" || strings.Contains(region, ".") {
		return ""
	}
	return region
}
