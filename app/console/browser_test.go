package console

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// newBrowser starts one headless chromium for a test and its subtests,
// each of which opens its own tab. The machine's network is closed, so
// everything that would reach out (updates, sync, safe browsing) is off.
// Without chromium the test is skipped, unless PFF_REQUIRE_BROWSER=1 (as
// make test sets it, after scripts/setup-chromium.sh installed it).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("PFF_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium on PATH: scripts/setup-chromium.sh installs it")
		}
		t.Skip("no chromium on PATH: scripts/setup-chromium.sh installs it")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	require.NoError(t, chromedp.Do(browser), "start chromium")
	return browser
}

// tab is a browser tab that records what went wrong in it: script errors,
// console errors, CSP violations and blocked requests.
type tab struct {
	t   *testing.T
	ctx context.Context
	e   *env

	mu       sync.Mutex
	problems []string
	// statuses are the HTTP statuses of documents loaded, by URL.
	statuses map[string]int64
}

func (e *env) newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	tb := &tab{t: t, ctx: ctx, e: e, statuses: map[string]int64{}}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tb.problem(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				tb.problem(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *cdplog.EventEntryAdded:
			// A refused status (403, 404) is logged by the network as an
			// error; tests that expect one check the status instead.
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
				tb.problem(fmt.Sprintf("log %s: %s", ev.Entry.Source, ev.Entry.Text))
			}
		case *network.EventLoadingFailed:
			if ev.BlockedReason != "" {
				tb.problem(fmt.Sprintf("blocked (%s): %s", ev.BlockedReason, ev.ErrorText))
			}
		case *network.EventResponseReceived:
			if ev.Type == network.ResourceTypeDocument {
				tb.mu.Lock()
				tb.statuses[ev.Response.URL] = ev.Response.Status
				tb.mu.Unlock()
			}
		case *page.EventJavascriptDialogOpening:
			// data-confirm asks; the tests say yes.
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}))
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900)))
	return tb
}

func (tb *tab) problem(p string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.problems = append(tb.problems, p)
}

// clean fails the test if anything went wrong in the tab so far.
func (tb *tab) clean() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	require.Empty(tb.t, tb.problems, "the tab had errors, CSP violations or blocked resources")
}

func (tb *tab) run(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, actions...))
}

// get runs an action that reads something from the tab.
func get[T any](tb *tab, a chromedp.Action[T]) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, a)
	require.NoError(tb.t, err)
	return v
}

// open loads a console page and waits for its content.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.run(chromedp.Navigate(tb.e.url(path)), chromedp.WaitReady(chromedp.CSS("main h1")),
		// Parts worked out in the background (the overview's figures, the
		// graph, a map) arrive a moment later, marked busy until then.
		chromedp.Poll[chromedp.Void](`document.querySelector('[aria-busy="true"]') === null`))
}

// text is the visible text of the page's main element.
func (tb *tab) text() string {
	tb.t.Helper()
	return get(tb, chromedp.Evaluate[string](`(document.querySelector("main") || {innerText: ""}).innerText`))
}

func (tb *tab) status(path string) int64 {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.statuses[tb.e.url(path)]
}

// signIn signs in through the form, as a person would.
func (tb *tab) signIn(username string) {
	tb.t.Helper()
	tb.run(
		chromedp.Navigate(tb.e.url("/login")),
		chromedp.WaitReady(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
	)
	tb.waitFor(".who")
}

// waitFor waits for an element, and says what the page shows instead when
// it does not come.
func (tb *tab) waitFor(selector string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(selector))); err != nil {
		loc, _ := chromedp.Run(tb.ctx, chromedp.Location())
		body, _ := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS("body")))
		tb.mu.Lock()
		problems := strings.Join(tb.problems, "\n")
		tb.mu.Unlock()
		tb.t.Fatalf("waiting for %s on %s: %v; the page shows:\n%s\nproblems:\n%s", selector, loc, err, body, problems)
	}
}

// post sends a form from the page with fetch, as a script (or a forged
// form) could, and returns the status; redirects are not followed (0).
func (tb *tab) post(path string, fields map[string]string) int {
	tb.t.Helper()
	var b strings.Builder
	b.WriteString("{")
	i := 0
	for k, v := range fields {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%q", k, v)
		i++
	}
	b.WriteString("}")
	js := fmt.Sprintf(`fetch(%q, {method: "POST", body: new URLSearchParams(%s), redirect: "manual"}).then(r => r.status)`, tb.e.url(path), b.String())
	return get(tb, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
}

// csrf is the page's CSRF token, as its forms carry it.
func (tb *tab) csrf() string {
	tb.t.Helper()
	token := get(tb, chromedp.AttributeValue(chromedp.CSS(`input[name="csrf"]`), "value")).Value
	require.NotEmpty(tb.t, token, "the page has a form with a CSRF token")
	return token
}

func (tb *tab) count(selector string) int {
	tb.t.Helper()
	return get(tb, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
}

// eventually waits until the text of the element holds want, without
// reloading the page.
func (tb *tab) eventually(selector, want string, within time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(within)
	for {
		// One evaluation: a node found and then read could be swapped
		// out in between.
		text := get(tb, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, selector)))
		if strings.Contains(text, want) {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("the page never showed %q; it shows:\n%s", want, text)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// screenshot writes the viewport as dir/name.png when PFF_SCREENSHOTS
// names a directory (make screenshots).
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	dir := os.Getenv("PFF_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := get(tb, chromedp.CaptureScreenshot())
	require.NoError(tb.t, os.MkdirAll(dir, 0o755))
	require.NoError(tb.t, os.WriteFile(dir+"/"+name+".png", png, 0o644))
}
