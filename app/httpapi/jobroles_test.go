package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/jobs"
)

func TestCancellingAJobNeedsTheRoleThatStartsIt(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	admin, operator := bearer(ts.bearers[auth.RoleAdmin]), bearer(ts.bearers[auth.RoleOperator])
	start := func(path string, who map[string]string) int64 {
		rec := ts.do(request{method: http.MethodPost, path: Prefix + path, header: who})
		require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
		var queued struct {
			JobID int64 `json:"job_id"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &queued))
		return queued.JobID
	}
	cancel := func(id int64, who map[string]string) int {
		return ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/jobs/%d/cancel", Prefix, id), header: who}).Code
	}

	mining := start("/rules/mine", admin)
	require.Equal(t, http.StatusForbidden, cancel(mining, operator), "an operator cannot stop what only an admin may start")
	require.Equal(t, http.StatusOK, cancel(mining, admin))

	build := start("/kg/build", operator)
	require.Equal(t, http.StatusOK, cancel(build, operator))
}

// TestJobStartingRoutesAskForTheRoleTheirJobsNeed keeps the routes that
// start jobs and jobs.RoleToStart, which cancelling obeys, in agreement.
func TestJobStartingRoutesAskForTheRoleTheirJobsNeed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	starts := map[string]string{
		"POST " + Prefix + "/records":     jobs.ValidateRecordsArgs{}.Kind(),
		"POST " + Prefix + "/validations": jobs.RevalidateArgs{}.Kind(),
		"POST " + Prefix + "/kg/build":    jobs.BuildKGArgs{}.Kind(),
		"POST " + Prefix + "/models":      jobs.TrainModelArgs{}.Kind(),
		"POST " + Prefix + "/rules/mine":  jobs.MineRulesArgs{}.Kind(),
	}
	found := 0
	for _, r := range ts.api.table {
		if kind, ok := starts[r.Method+" "+r.Path]; ok {
			found++
			require.Equal(t, jobs.RoleToStart(kind), r.Role, "%s %s starts %s jobs", r.Method, r.Path, kind)
		}
	}
	require.Equal(t, len(starts), found)
	require.Equal(t, auth.RoleAdmin, jobs.RoleToStart("some_future_kind"), "an unknown kind needs an admin")
}
