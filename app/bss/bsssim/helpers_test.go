package bsssim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Ids in testdata/customer-enquiry-single.json and -family.json.
const (
	singleCustomer   = "A4C123B1612DD272D1371C17149D4395"
	singleCustExt    = "199351819"
	singleContract   = "928B5B7A767C76FB008F86BEBB2737F6"
	singleContractEx = "4728038528"
	singleMSISDN     = "79584924337"
	singleParty      = "8A981A049D7CCC7E90A88D519448FB2F"
	singleProduct    = "702824C1C099724CAF4941D4072014B3" // BONUS, active

	familyCustomer      = "EEE65F53E9421CE50211670EAE679F02"
	familyCustExt       = "746814538"
	familyContract      = "2F29A422EB14AB2F2D0F0CC022238DAC"
	familyContractExt   = "9777818804"
	familyMSISDN        = "85626321547"
	familyProviderExt   = "PRVMV8315505696395"
	familyDependent     = "27B9A615C1A5EC6CC16DB755F6C6E9FE"
	familyDependentExt  = "727386610"
	familyDependentLine = "37648176649"
	familyTerminatedExt = "SP_4686445525392" // a terminated CONSUMER_MV of the dependent
)

// fixedNow is the simulator clock of tests that check dates.
var fixedNow = time.Date(2025, 7, 2, 15, 4, 5, 123_000_000, time.UTC)

const fixedStamp = "2025-07-02T12:04:05.123-03:00"

func readDoc(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	doc, err := decodeObject(b)
	require.NoError(t, err)
	return doc
}

// newTestSim returns a simulator holding both example customers, with a
// fixed clock, served on n clusters.
func newTestSim(t testing.TB, cfg Config, clusters int) (*Sim, *Servers) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	s := New(cfg)
	require.NoError(t, s.AddDocument(readDoc(t, "customer-enquiry-single.json")))
	require.NoError(t, s.AddDocument(readDoc(t, "customer-enquiry-family.json")))
	sv, err := s.Start(StartOptions{Clusters: clusters})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sv.Close() })
	return s, sv
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(a.body, &v), "body: %s", a.body)
	return v
}

// newRequest builds a request; body is marshalled to JSON unless it is
// []byte. A URL without a host is for a Handler.
func newRequest(t testing.TB, method, url string, body any, headers ...string) *http.Request {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(data)
	}
	var req *http.Request
	if strings.HasPrefix(url, "/") {
		req = httptest.NewRequestWithContext(t.Context(), method, url, r)
	} else {
		var err error
		req, err = http.NewRequestWithContext(t.Context(), method, url, r)
		require.NoError(t, err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header[headers[i]] = []string{headers[i+1]}
	}
	return req
}

// send makes one request to a server.
func send(t testing.TB, method, url string, body any, headers ...string) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(newRequest(t, method, url, body, headers...))
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// statuses returns the status names of an object's history, in order.
func statuses(obj map[string]any) []string {
	var out []string
	for _, e := range objects(obj["status"]) {
		s, _ := e["status"].(string)
		out = append(out, s)
	}
	return out
}

// lastTwo returns the last two entries of an object's status history.
func lastTwo(t testing.TB, obj map[string]any) (prev, cur map[string]any) {
	t.Helper()
	h := objects(obj["status"])
	require.GreaterOrEqual(t, len(h), 2, "a change appends to the history")
	return h[len(h)-2], h[len(h)-1]
}

func contractIn(t testing.TB, doc map[string]any, id string) map[string]any {
	t.Helper()
	c := contractOf(doc, id)
	require.NotNil(t, c, "contract %s", id)
	return c
}
