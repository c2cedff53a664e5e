package console

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// TestConsoleInBrowser drives headless chromium through the console on a
// seeded database: one browser, a tab per subtest, the subtests in
// parallel.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	e := newEnv(t)
	e.seed()

	t.Run("sign in and out", func(t *testing.T) {
		t.Parallel()
		tb := e.newTab(t, browser)
		tb.run(chromedp.Navigate(e.url("/records?decision=REJECT")), chromedp.WaitReady(chromedp.ID("username")))
		require.Contains(t, tb.text(), "Sign in")
		tb.screenshot("login")
		tb.run(
			chromedp.SendKeys(chromedp.ID("username"), "viewer1"),
			chromedp.SendKeys(chromedp.ID("password"), "not the password"),
			chromedp.Submit(chromedp.ID("password")),
			chromedp.WaitReady(chromedp.ID("login-error")),
		)
		require.Contains(t, tb.text(), "Invalid username or password")
		tb.run(
			chromedp.Clear(chromedp.ID("password")),
			chromedp.SendKeys(chromedp.ID("password"), testPassword),
			chromedp.Submit(chromedp.ID("password")),
			chromedp.WaitReady(chromedp.CSS(".who")),
		)
		// Back where the browser was going, signed in.
		require.Equal(t, e.url("/records?decision=REJECT"), get(tb, chromedp.Location()))
		require.Contains(t, tb.text(), "REJECT")
		tb.run(chromedp.Click(chromedp.CSS(`.who button[type="submit"]`)), chromedp.WaitReady(chromedp.ID("username")))
		tb.open("/records")
		require.Contains(t, tb.text(), "Sign in", "signed out, the console asks to sign in again")
		tb.clean()
	})

	t.Run("pages show the seeded data", func(t *testing.T) {
		t.Parallel()
		tb := e.newTab(t, browser)
		tb.signIn("admin1")
		pages := []struct {
			name, path string
			want       []string
		}{
			{"overview", "/", []string{"Records stored", "40", "Decisions over ingests", "Score histogram", "Most frequent findings", "PostgreSQL", "validate_records"}},
			{"records", "/records", []string{"Customer", "ACCEPT", "REJECT"}},
			{"record", fmt.Sprintf("/records/%d", e.rejected), []string{"Findings", "Document", "Versions and their reports", "REJECT"}},
			{"record-diff", fmt.Sprintf("/records/%d/diff", e.changed), []string{"v1 → v2", "CustomerSuspended", "changed"}},
			{"knowledge", "/knowledge?kind=checks", []string{"check set versions", "ops", "v2"}},
			{"knowledge-flows", "/knowledge?kind=flows", []string{"flow file versions", "active"}},
			{"learning", "/learning", []string{"Knowledge graph", "Entities", "Models", e.model}},
			{"model", "/learning/models/" + e.model, []string{"Training curves", "Quality gate", "Reliability diagram", "Link prediction"}},
			{"map", "/learning/models/" + e.model + "/map", []string{"Embedding map", "principal components", "Entities by type"}},
			{"flows", "/flows", []string{"Active flow file", "Three_Writes", "Start a run or a plan", "Executions"}},
			{"jobs", "/jobs?kind=validate_records", []string{"validate_records", "completed"}},
			{"job", fmt.Sprintf("/jobs/%d", e.trainJob), []string{"train_model", "completed", "Arguments", "Output"}},
			{"knowledge-version", fmt.Sprintf("/knowledge/flows/%d", e.flowsID), []string{"Lint", "Three_Writes"}},
			{"admin", "/admin", []string{"Users", "admin1", "viewer1", "API keys"}},
			{"audit", "/admin/audit", []string{"Sign in to the console", "succeeded"}},
		}
		for _, p := range pages {
			tb.open(p.path)
			text := tb.text()
			for _, want := range p.want {
				require.Contains(t, text, want, "page %s", p.path)
			}
			tb.screenshot(p.name)
		}
		// The record page marks its findings in the document tree, and
		// each finding links to where it is.
		tb.open(fmt.Sprintf("/records/%d", e.rejected))
		require.Positive(t, tb.count(".tree .marked"), "findings are marked in the tree")
		require.Positive(t, tb.count(".finding a[href^='#p']"), "findings link to their place")
		// The plots are drawn by the scripts the CSP allows.
		tb.open("/learning/models/" + e.model)
		tb.waitFor(".plot .uplot canvas")
		require.Positive(t, tb.count(".chart rect"), "the reliability diagram has bars")
		tb.open("/learning/models/" + e.model + "/map")
		tb.waitFor(".plot.map canvas")
		// A knowledge version shows its lines; a diff its changes.
		list, err := e.library.List(context.Background(), knowledge.KindChecks, knowledge.Filter{Name: "ops", Limit: 10})
		require.NoError(t, err)
		tb.open(fmt.Sprintf("/knowledge/checks/%d", list[0].ID))
		require.Positive(t, tb.count("table.code tr[id^='L']"))
		tb.open(fmt.Sprintf("/knowledge/checks/%d/diff", list[0].ID))
		require.Positive(t, tb.count(".d-add"), "the diff shows the added check")
		tb.clean()
	})

	t.Run("a viewer sees no action and is refused anyway", func(t *testing.T) {
		t.Parallel()
		tb := e.newTab(t, browser)
		tb.signIn("viewer1")
		tb.open("/jobs")
		require.Zero(t, tb.count(`form[action$="/cancel"], form[action$="/retry"]`), "no job controls")
		tb.open("/records")
		require.Zero(t, tb.count(`form[action$="/revalidate"]`), "no re-validation")
		tb.open("/flows")
		require.Zero(t, tb.count(`form[action="/console/flows/executions"]`), "no start form")
		require.Zero(t, tb.count(`nav a[href="/console/admin"]`), "no administration")
		tb.open("/learning")
		require.Contains(t, tb.text(), "shown to admins")
		tb.open("/admin")
		require.Contains(t, tb.text(), "403")
		require.EqualValues(t, 403, tb.status("/admin"))

		token := tb.csrf()
		j, err := e.jobs.List(context.Background(), jobs.Filter{Kind: "validate_records", Limit: 1})
		require.NoError(t, err)
		require.Equal(t, 403, tb.post(fmt.Sprintf("/jobs/%d/retry", j[0].ID), map[string]string{"csrf": token}))
		require.Equal(t, 403, tb.post("/records/revalidate", map[string]string{"csrf": token}))
		require.Equal(t, 403, tb.post("/admin/users", map[string]string{"csrf": token, "username": "mallory", "role": "admin"}))
		_, err = e.accounts.UserByName(context.Background(), "mallory")
		require.Error(t, err, "nothing was done")
		audit, err := e.accounts.Audit(context.Background(), store.AuditFilter{Actor: "user:" + e.users[auth.RoleViewer].ID, Status: "denied", Limit: 50})
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(audit), 3, "refusals are audited")
		tb.clean()
	})

	t.Run("forms without the session's CSRF token are refused", func(t *testing.T) {
		t.Parallel()
		tb := e.newTab(t, browser)
		tb.signIn("operator1")
		tb.open("/records")
		token := tb.csrf()
		require.Equal(t, 403, tb.post("/records/revalidate", map[string]string{"decision": "REJECT"}))
		require.Equal(t, 403, tb.post("/records/revalidate", map[string]string{"decision": "REJECT", "csrf": token + "x"}))
		tb.open("/jobs?kind=revalidate_records")
		require.Contains(t, tb.text(), "No job matches", "nothing was queued")
		// The same form with the token goes through.
		require.Equal(t, 0, tb.post("/records/revalidate", map[string]string{"decision": "REJECT", "csrf": token}), "303 See Other")
		tb.open("/jobs?kind=revalidate_records")
		require.Contains(t, tb.text(), "revalidate_records")
		tb.clean()
	})

	t.Run("an execution page updates live", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		operator := e.users[auth.RoleOperator]
		lines := make([]executions.LineInput, 0, 3)
		for _, m := range e.msisdns[:3] {
			lines = append(lines, executions.LineInput{MSISDN: m})
		}
		// More lines than ServiceConfig.ApprovalLines: it waits for a second person.
		ex, err := e.flows.Start(ctx, executions.StartRequest{Flow: "Three_Writes", Mode: "run", Lines: lines}, "user:"+operator.ID)
		require.NoError(t, err)
		require.Equal(t, store.ExecAwaitingApproval, ex.State)

		tb := e.newTab(t, browser)
		tb.signIn("admin1")
		path := fmt.Sprintf("/flows/executions/%d", ex.ID)
		opened := make(chan struct{}, 1)
		require.NoError(t, chromedp.Listen(tb.ctx, func(ev any) {
			if r, ok := ev.(*network.EventRequestWillBeSent); ok && strings.HasSuffix(r.Request.URL, path+"/events") {
				select {
				case opened <- struct{}{}:
				default:
				}
			}
		}))
		tb.open(path)
		tb.eventually("#exec-summary p", "awaiting_approval", time.Second)
		select {
		case <-opened:
		case <-time.After(20 * time.Second):
			t.Fatal("the page did not open its event stream")
		}
		get(tb, chromedp.Evaluate[bool](`window.notReloaded = true`))
		// Another person approves, outside the page: the lines run.
		_, err = e.flows.Approve(ctx, ex.ID, "user:"+e.users[auth.RoleAdmin].ID)
		require.NoError(t, err)
		tb.eventually("#exec-summary p", "succeeded", 60*time.Second)
		require.True(t, get(tb, chromedp.Evaluate[bool](`window.notReloaded === true`)), "the page was updated in place, not reloaded")
		tb.screenshot("execution")
		// A line's journal, step by step.
		got, err := e.flows.Lines(ctx, ex.ID, store.LineFilter{Limit: 1})
		require.NoError(t, err)
		tb.open(fmt.Sprintf("%s/lines/%d", path, got[0].ID))
		require.Contains(t, tb.text(), "Journal")
		require.Positive(t, tb.count(".journal .step"), tb.text())
		tb.screenshot("line")
		tb.clean()
	})
}
