package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/store"
)

// TestAnUploadWithNothingStoredIsA422 uploads documents that are all
// rejected: the answer is 422 with each document's rejection, not 200; one
// good document among them makes it a 200 that counts both.
func TestAnUploadWithNothingStoredIsA422(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	operator := bearer(ts.bearers[auth.RoleOperator])
	bad := `{"no":"id"}` + "\n" + `[1,2]` + "\n" + `{"id":` + "\n"
	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/records?name=bad.ndjson", body: bad,
		contentType: "application/x-ndjson", header: operator})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	require.Equal(t, "all_rejected", errorCode(t, rec))
	var body struct {
		Error struct {
			Details records.Result `json:"details"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Equal(t, 3, body.Error.Details.Received)
	require.Len(t, body.Error.Details.Rejected, 3, "each rejection, with its source and reason")
	for _, r := range body.Error.Details.Rejected {
		require.NotEmpty(t, r.Source)
		require.NotEmpty(t, r.Reason)
	}
	stored, err := ts.store.ListRecords(context.Background(), store.RecordFilter{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, stored)

	var good bytes.Buffer
	require.NoError(t, json.Compact(&good, generateRecords(t, 1, 0)[0].Doc))
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/records?name=mixed.ndjson", body: bad + good.String() + "\n",
		contentType: "application/x-ndjson", header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	res := decode[records.Result](t, rec.Body.Bytes())
	require.Equal(t, 4, res.Received)
	require.Equal(t, 1, res.Inserted)
	require.Len(t, res.Rejected, 3)
}
