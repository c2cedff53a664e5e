package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// PostgreSQL restarting under PFF is, on a server other engineers share,
// done the honest way a restart looks to PFF: every connection to the test's
// database is terminated (pg_terminate_backend, SQLSTATE 57P01, what a
// shutdown sends), and new ones are accepted at once.

// terminateBackends ends every connection to dbURL's database but the one
// it uses, and returns how many it ended.
func terminateBackends(t *testing.T, dbURL string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()) AS ended`).Scan(&n))
	return n
}

// queryInt runs a query of one integer on dbURL.
func queryInt(t *testing.T, dbURL, query string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, query, args...).Scan(&n))
	return n
}

func ndjsonOf(t *testing.T, recs []gen.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range recs {
		require.NoError(t, json.Compact(&buf, r.Doc))
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// TestPostgresRestartDuringAnIngest ends the database's connections while
// an upload streams in, between two of its batches. Either the pool has
// replaced its dead connections before the next batch needs one (another
// connection read the news first) and the upload completes, or the upload
// answers 503 unavailable, the batches written before stay written, and the
// same upload sent again stores the rest (the stored ones are unchanged).
// Then every record is validated by the workers, and the process was never
// restarted.
func TestPostgresRestartDuringAnIngest(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	addr := testkit.FreeAddr(t)
	p := start(t, addr, append(serveEnv(dbURL, addr, nil), "PFF_INGEST__BATCH_SIZE=4"), "serve")
	ops := login(t, p.url, adminName, adminPassword)
	recs, err := gen.Generate(gen.Config{N: 24, Seed: 21, FaultRate: 0.2})
	require.NoError(t, err)
	first, rest := ndjsonOf(t, recs[:10]), ndjsonOf(t, recs[10:])

	// The upload's first ten records, then a pause while the connections
	// are ended, then the rest.
	body, feed := io.Pipe()
	answered := make(chan struct {
		code int
		body []byte
	}, 1)
	go func() {
		code, data := ops.do(http.MethodPost, "/api/v1/records?name=stream.ndjson", "application/x-ndjson", body)
		answered <- struct {
			code int
			body []byte
		}{code, data}
	}()
	_, err = feed.Write(first)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return queryInt(t, dbURL, `SELECT count(*) FROM customer_records`) >= 8
	}, time.Minute, 20*time.Millisecond, "two batches of four were never written")
	ended := terminateBackends(t, dbURL)
	t.Logf("terminated %d connections in the middle of the upload", ended)
	require.Positive(t, ended)
	go func() {
		_, _ = feed.Write(rest)
		_ = feed.Close()
	}()
	res := <-answered
	switch res.code {
	case http.StatusOK:
		var done records.Result
		require.NoError(t, json.Unmarshal(res.body, &done))
		require.Equal(t, len(recs), done.Inserted, string(res.body))
	case http.StatusServiceUnavailable:
		require.Contains(t, string(res.body), `"unavailable"`)
		stored := queryInt(t, dbURL, `SELECT count(*) FROM customer_records`)
		require.GreaterOrEqual(t, stored, 8, "the batches written before stay written")
		require.Less(t, stored, len(recs))

		// The client sends the whole upload again.
		code, data := ops.do(http.MethodPost, "/api/v1/records?name=stream.ndjson", "application/x-ndjson", bytes.NewReader(ndjsonOf(t, recs)))
		require.Equal(t, http.StatusOK, code, string(data))
		var again records.Result
		require.NoError(t, json.Unmarshal(data, &again))
		require.Equal(t, len(recs)-stored, again.Inserted, string(data))
		require.Equal(t, stored, again.Unchanged, string(data))
	default:
		require.Failf(t, "the upload neither completed nor answered unavailable", "%d %s", res.code, res.body)
	}
	require.Equal(t, len(recs), queryInt(t, dbURL, `SELECT count(*) FROM customer_records`))
	ops.waitValidated(int64(len(recs)), 2*time.Minute)
	require.Equal(t, len(recs), queryInt(t, dbURL, `SELECT count(*) FROM validation_reports WHERE latest`), "one report per record")
	code, data := ops.do(http.MethodGet, "/health/detailed", "", nil)
	require.Equal(t, http.StatusOK, code, string(data))
}

// TestPostgresRestartDuringTraining ends the database's connections while a
// training job runs, after its first checkpoint: the training still ends
// with one ready model of every epoch asked for, and the process goes on
// serving.
func TestPostgresRestartDuringTraining(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	addr := testkit.FreeAddr(t)
	p := start(t, addr, serveEnv(dbURL, addr, nil), "serve")
	ops := login(t, p.url, adminName, adminPassword)
	recs, err := gen.Generate(gen.Config{N: 6, Seed: 5})
	require.NoError(t, err)
	code, data := ops.do(http.MethodPost, "/api/v1/records?name=corpus.ndjson", "application/x-ndjson", bytes.NewReader(ndjsonOf(t, recs)))
	require.Equal(t, http.StatusOK, code, string(data))
	ops.waitValidated(int64(len(recs)), 2*time.Minute)
	var queued learn.Queued
	ops.json(http.MethodPost, "/api/v1/kg/build", nil, http.StatusAccepted, &queued)
	ops.waitJob(queued.JobID, 2*time.Minute)

	// Ten epochs between checkpoints, and enough epochs to be in the middle
	// of the training when the connections end.
	ops.json(http.MethodPost, "/api/v1/models", map[string]any{"dim": 16, "epochs": 60, "negatives": 2, "batch_size": 512,
		"eval_every": -1, "seed": 1}, http.StatusAccepted, &queued)
	require.Eventually(t, func() bool {
		return queryInt(t, dbURL, `SELECT coalesce(max(epoch), 0) FROM model_checkpoints`) >= 10
	}, 2*time.Minute, 10*time.Millisecond, "no checkpoint was written")
	ended := terminateBackends(t, dbURL)
	t.Logf("terminated %d connections in the middle of the training", ended)
	require.Positive(t, ended)

	job := ops.waitJob(queued.JobID, 3*time.Minute)
	t.Logf("training job: attempt %d, errors %v", job.Attempt, job.Errors)
	var models []store.Model
	ops.get("/api/v1/models", &models)
	require.Len(t, models, 1, "one model, resumed or finished, not a second one")
	require.Equal(t, store.ModelReady, models[0].State)
	var metrics learn.TrainMetrics
	require.NoError(t, json.Unmarshal(models[0].Metrics, &metrics))
	require.Equal(t, 60, metrics.Epochs)
	code, data = ops.do(http.MethodGet, "/health/detailed", "", nil)
	require.Equal(t, http.StatusOK, code, string(data))
}
