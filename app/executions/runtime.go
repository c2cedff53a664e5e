package executions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/store"
)

// Step error codes of the engine, besides the interpreter's.
const (
	// codeNeedsReview: a write may or may not have been applied and nothing
	// can tell; a person must look before the line goes on.
	codeNeedsReview = "needs_review"
	// codeDiffersFromPlan: applying a plan, the line would write what the
	// plan did not say.
	codeDiffersFromPlan = "differs_from_plan"
)

// WriteResult is what a write step saves: truthy when the write was applied
// or the line already was in that state, falsy when BSS refused it, so that
// `when: not soft_ok` falls back only on a real refusal.
type WriteResult struct {
	Applied bool   `json:"applied"`
	Outcome string `json:"outcome"`
	Status  int    `json:"status"`
	Body    any    `json:"body"`
	// Planned marks a write a plan recorded without sending.
	Planned bool `json:"planned,omitempty"`
}

// Truthy is the write's truth in flow expressions.
func (w WriteResult) Truthy() bool { return w.Applied }

// lineRun is one run of one line: the flows.Runtime of the interpreter.
type lineRun struct {
	e    *Engine
	exec store.Execution
	line store.Line
	// journal is this generation's entries by key; planned is the plan's
	// writes by key when the run applies a plan.
	journal map[string]store.Step
	planned map[string]store.Step
	visited map[string]bool
	seq     int
	// pending are entries not yet written: reads and local steps go to the
	// database with the next write's intent, or with the line's end.
	pending []store.Step
	events  []store.NewEvent
	// audit and writes are completed writes' audit entries and how many
	// were applied, saved with the pending entries.
	audit        []store.AuditEntry
	writes       int
	observations []string
	artefacts    map[string]any
	enquiry      *any // the line's customer enquiry, read once per run
	// timing adds up the step being run, for EngineConfig.Observe.
	timing *StepTiming
}

// StepTiming is where one step's time went, for EngineConfig.Observe.
type StepTiming struct {
	// Kind is "step" for a call the engine ran (not one answered from the
	// journal) and "line" for a line's claim and end.
	Kind   string
	Method string
	// Total is the step's time in the engine; BSS the part spent waiting
	// for BSS (its rate limit, calls in flight and answers, verifies
	// included); Backoff the retry waits; Store the journal's writes.
	Total, BSS, Backoff, Store time.Duration
}

// Own is the engine's own time: the step's, less BSS and retry waits.
func (t StepTiming) Own() time.Duration { return t.Total - t.BSS - t.Backoff }

// do calls BSS, timing it.
func (r *lineRun) do(ctx context.Context, req bss.Request) bss.Result {
	start := time.Now()
	res := r.e.cfg.Client.Do(ctx, req)
	r.spent(func(t *StepTiming) { t.BSS += time.Since(start) })
	return res
}

// verifyOnce runs a write's verify read, timing it.
func (r *lineRun) verifyOnce(ctx context.Context, req bss.Request) (applied, known bool, err error) {
	start := time.Now()
	applied, known, err = r.e.cfg.Client.Verify(ctx, req, nil)
	r.spent(func(t *StepTiming) { t.BSS += time.Since(start) })
	return applied, known, err
}

// spent adds to the timing of the step being run, if it is observed.
func (r *lineRun) spent(add func(*StepTiming)) {
	if r.timing != nil {
		add(r.timing)
	}
}

// observe starts timing a step; the returned func reports it.
func (r *lineRun) observe(kind, method string) func() {
	if r.e.cfg.Observe == nil {
		return func() {}
	}
	start := time.Now()
	t := &StepTiming{Kind: kind, Method: method}
	r.timing = t
	return func() {
		t.Total = time.Since(start)
		r.timing = nil
		r.e.cfg.Observe(*t)
	}
}

func (e *Engine) newLineRun(ctx context.Context, exec store.Execution, line store.Line) (*lineRun, error) {
	steps, err := e.cfg.Store.LineSteps(ctx, line.ID)
	if err != nil {
		return nil, err
	}
	r := &lineRun{e: e, exec: exec, line: line, journal: map[string]store.Step{}, visited: map[string]bool{}, artefacts: map[string]any{}}
	for _, st := range steps {
		switch {
		case st.Generation == line.Generation:
			r.journal[st.Key] = st
			r.seq = max(r.seq, st.Seq)
		case st.Generation == line.Generation-1 && st.State == store.StepPlanned:
			if r.planned == nil {
				r.planned = map[string]store.Step{}
			}
			r.planned[st.Key] = st
		}
	}
	if len(line.Artefacts) > 0 {
		_ = json.Unmarshal(line.Artefacts, &r.artefacts)
	}
	if line.Observations != "" {
		r.observations = strings.Split(line.Observations, "\n")
	}
	return r, nil
}

func (r *lineRun) input() flows.Input {
	in := flows.Input{MSISDN: r.line.MSISDN}
	_ = json.Unmarshal(r.line.Columns, &in.Columns)
	if len(r.line.Payload) > 0 {
		_ = json.Unmarshal(r.line.Payload, &in.Payload)
	}
	return in
}

func (r *lineRun) plan() bool { return r.exec.Mode == "plan" }

// Boundary stops the run when its execution was cancelled or paused.
func (r *lineRun) Boundary(ctx context.Context, _ flows.StepRef) error {
	state, err := r.e.states.state(ctx, r.exec.ID)
	if err != nil {
		return err
	}
	switch state {
	case store.ExecCancelled:
		return errCancelled
	case store.ExecPaused:
		return errPaused
	}
	return nil
}

// Approve passes an approve step a person approved, and parks the line at
// one nobody has yet. A plan does not park: it notes the step and goes on,
// to list the writes that follow.
func (r *lineRun) Approve(_ context.Context, ref flows.StepRef, message string) error {
	if st, ok := r.journal[ref.Key]; ok {
		if st.State == store.StepApproved || st.State == store.StepPlanned {
			return nil
		}
		return flows.ErrAwaitingApproval
	}
	state := store.StepAwaitingApproval
	if r.plan() {
		state = store.StepPlanned
	}
	r.record(ref, "approve", "approve", nil, state, func(st *store.Step) { st.Value = mustJSON(message) })
	if r.plan() {
		return nil
	}
	return flows.ErrAwaitingApproval
}

// record adds an entry to the journal, to be written with the next flush.
func (r *lineRun) record(ref flows.StepRef, method, effect string, args map[string]any, state string, fill func(*store.Step)) store.Step {
	r.seq++
	st := store.Step{LineID: r.line.ID, Generation: r.line.Generation, Key: ref.Key, Seq: r.seq, Method: method,
		Effect: effect, Args: mustJSON(args), State: state}
	if old, ok := r.journal[ref.Key]; ok {
		st.Seq, st.Attempts, st.IdempotencyKey = old.Seq, old.Attempts, old.IdempotencyKey
		r.seq--
	}
	if fill != nil {
		fill(&st)
	}
	r.journal[ref.Key] = st
	r.pending = append(r.pending, st)
	lineID := r.line.ID
	r.events = append(r.events, store.NewEvent{LineID: &lineID, Kind: "step", Data: map[string]any{
		"line_id": lineID, "key": ref.Key, "method": method, "state": st.State, "outcome": st.Outcome}})
	return st
}

// Call runs one method call, or answers it from the journal.
func (r *lineRun) Call(ctx context.Context, ref flows.StepRef, call flows.Call) (any, error) {
	if st, ok := r.journal[ref.Key]; ok && st.State == store.StepCompleted {
		// A write an earlier run of this apply completed was made: the
		// plan's check of unmade writes must count it.
		r.visited[ref.Key] = true
		return decodeValue(st)
	}
	defer r.observe("step", call.Method)()
	switch call.Method {
	case methodGetContract, methodGetProduct:
		return r.localRead(ctx, ref, call)
	case methodSaveObject, methodSetObservation, methodValidate:
		return r.local(ctx, ref, call)
	}
	req, err := r.e.catalog.BSS.Resolve(call.Method, call.Args)
	if err != nil {
		return nil, &flows.StepError{Code: flows.CodeInvalidArgs, Message: err.Error(), Err: err}
	}
	if !req.IsWrite() {
		return r.read(ctx, ref, call, req)
	}
	return r.write(ctx, ref, call, req)
}

// read calls a read, retrying transient failures as the step's policy
// says. Not found is None, never an error object.
func (r *lineRun) read(ctx context.Context, ref flows.StepRef, call flows.Call, req bss.Request) (any, error) {
	res, err := r.retrying(ctx, call, func(ctx context.Context) (bss.Result, bool) {
		res := r.do(ctx, req)
		return res, res.Outcome == bss.Transient
	})
	if err != nil {
		return nil, err
	}
	switch res.Outcome {
	case bss.Success, bss.AlreadyDone, bss.NotFound:
		value := res.Value
		if res.Outcome == bss.NotFound {
			value = nil
		}
		r.record(ref, call.Method, string(req.Effect), call.Args, store.StepCompleted, func(st *store.Step) {
			st.Outcome, st.Status, st.Value = string(res.Outcome), res.Status, mustJSON(value)
		})
		return value, nil
	}
	return nil, stepError(res)
}

// stepError is the step error of a call that did not succeed.
func stepError(res bss.Result) error {
	code := flows.CodeTransient
	switch res.Outcome {
	case bss.Rejected:
		code = flows.CodeRejected
	case bss.Unknown:
		code = flows.CodeUnknown
	}
	msg := string(res.Outcome)
	if res.Err != nil {
		msg = res.Err.Error()
	}
	return &flows.StepError{Code: code, Message: msg, Err: res.Err}
}

// retrying calls do until it succeeds, fails for good, or the step's retry
// policy (the engine's default when it has none) gives up; it waits between
// attempts as the policy and BSS's Retry-After say. do reports whether its
// result may be retried.
func (r *lineRun) retrying(ctx context.Context, call flows.Call, do func(ctx context.Context) (bss.Result, bool)) (bss.Result, error) {
	policy := call.Retry
	if policy == nil {
		policy = r.e.cfg.DefaultRetry
	}
	held := 0
	for attempt := 1; ; attempt++ {
		attemptCtx, cancel := ctx, context.CancelFunc(func() {})
		if call.Timeout > 0 {
			attemptCtx, cancel = context.WithTimeout(ctx, call.Timeout)
		}
		res, retry := do(attemptCtx)
		cancel()
		if retry && !res.Sent && errors.Is(res.Err, bss.ErrBackingOff) && held < maxHeld {
			// Held back by a Retry-After BSS gave another call: this call
			// never left, so it is not one of the policy's attempts. The
			// 429 that caused the pause counted for the call it answered.
			held++
			attempt--
			if err := r.backOff(ctx, call, 1, res.RetryAfter); err != nil {
				return res, err
			}
			continue
		}
		if !retry || attempt >= policy.Attempts || !policy.Retries(flows.CodeTransient) {
			return res, nil
		}
		if err := r.backOff(ctx, call, attempt, res.RetryAfter); err != nil {
			return res, err
		}
	}
}

// maxHeld bounds how often a call waits out another call's Retry-After
// without counting an attempt.
const maxHeld = 20

// backOff waits before retry number attempt of a call, as its policy (the
// engine's default when it has none) and BSS's Retry-After say.
func (r *lineRun) backOff(ctx context.Context, call flows.Call, attempt int, retryAfter time.Duration) error {
	policy := call.Retry
	if policy == nil {
		policy = r.e.cfg.DefaultRetry
	}
	start := time.Now()
	defer func() { r.spent(func(t *StepTiming) { t.Backoff += time.Since(start) }) }()
	t := time.NewTimer(max(policy.Wait(attempt, r.e.cfg.Random()), retryAfter))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	// A cancel or a pause during the wait stops the call before it is
	// sent again.
	return r.Boundary(ctx, flows.StepRef{})
}

// write sends a write once, or records it for a plan. A write found as an
// intent (its worker died after recording it) is resent only when that is
// safe: idempotent, or verified as not applied.
func (r *lineRun) write(ctx context.Context, ref flows.StepRef, call flows.Call, req bss.Request) (any, error) {
	r.visited[ref.Key] = true
	req.IdempotencyKey = fmt.Sprintf("pff:%d:%d:%d:%s", r.exec.ID, r.line.ID, r.line.Generation, ref.Key)
	sent := sentRequest(req)
	if r.plan() {
		r.record(ref, call.Method, string(req.Effect), call.Args, store.StepPlanned, func(st *store.Step) {
			st.Request, st.IdempotencyKey = sent, req.IdempotencyKey
			st.Value = mustJSON(WriteResult{Applied: true, Outcome: "planned", Planned: true})
		})
		return WriteResult{Applied: true, Outcome: "planned", Planned: true}, nil
	}
	if r.planned != nil {
		if p, ok := r.planned[ref.Key]; !ok || !sameRequest(p.Request, sent) {
			return nil, &flows.StepError{Code: codeDiffersFromPlan,
				Message: fmt.Sprintf("%s: the plan said %s, now it is %s", ref.Key, describe(p.Request), describe(sent))}
		}
	}
	if st, ok := r.journal[ref.Key]; ok && st.State == store.StepIntent {
		done, err := r.recover(ctx, ref, call, req, st)
		if done != nil || err != nil {
			return done, err
		}
	}
	for attempt := 1; ; attempt++ {
		if err := r.recordIntent(ctx, ref, call, req, sent); err != nil {
			return nil, err
		}
		res, err := r.retrying(ctx, call, func(ctx context.Context) (bss.Result, bool) {
			res := r.do(ctx, req)
			// Only what certainly had no effect is sent again here: a write
			// is transient when nothing left PFF, or when BSS said it did
			// not process it (429, 503, 408, 425); a write that may have
			// been applied is unknown.
			return res, res.Outcome == bss.Transient
		})
		if err != nil {
			if res.Outcome == bss.Transient {
				// Stopped while waiting to send it again: not applied.
				r.record(ref, call.Method, string(req.Effect), call.Args, store.StepFailed, func(st *store.Step) {
					st.Outcome, st.Status, st.Error = string(res.Outcome), res.Status, errText(res.Err)
				})
			}
			return nil, err
		}
		switch res.Outcome {
		case bss.Success, bss.AlreadyDone, bss.Rejected, bss.NotFound:
			return r.completeWrite(ctx, ref, call, req, res)
		case bss.Transient:
			// BSS did not process it (refused before, or busy): known not applied.
			r.record(ref, call.Method, string(req.Effect), call.Args, store.StepFailed, func(st *store.Step) {
				st.Outcome, st.Status, st.Error = string(res.Outcome), res.Status, errText(res.Err)
			})
			if err := r.flush(ctx); err != nil {
				return nil, err
			}
			return nil, stepError(res)
		}
		// Unknown: ask BSS before anything else is sent.
		applied, known, err := r.verify(ctx, call, req)
		if err != nil {
			return nil, err
		}
		switch {
		case known && applied:
			res.Outcome = bss.Success
			return r.completeWrite(ctx, ref, call, req, res)
		case known && attempt < max(retryAttempts(call, r.e.cfg.DefaultRetry), 1),
			!known && req.Idempotent && attempt < max(retryAttempts(call, r.e.cfg.DefaultRetry), 1):
			// Not applied, or safe to send again: after the policy's wait,
			// so that a BSS in trouble is not hammered.
			if err := r.backOff(ctx, call, attempt, res.RetryAfter); err != nil {
				if known {
					r.record(ref, call.Method, string(req.Effect), call.Args, store.StepFailed, func(st *store.Step) {
						st.Outcome, st.Status, st.Error = "not_applied", res.Status, errText(res.Err)
					})
				}
				return nil, err
			}
			continue
		case known:
			r.record(ref, call.Method, string(req.Effect), call.Args, store.StepFailed, func(st *store.Step) {
				st.Outcome, st.Status, st.Error = "not_applied", res.Status, errText(res.Err)
			})
			if err := r.flush(ctx); err != nil {
				return nil, err
			}
			return nil, &flows.StepError{Code: flows.CodeUnknown, Message: "the write was not applied: " + errText(res.Err)}
		}
		return nil, &flows.StepError{Code: codeNeedsReview,
			Message: fmt.Sprintf("%s may or may not have been applied (%s) and BSS cannot tell", req, errText(res.Err))}
	}
}

// verify asks BSS whether a write of unknown outcome was applied. Its read
// is retried as the step's policy says when it fails: a verify that could
// have told must not send a line to review because of one 503. The error is
// only for a run that must stop (cancelled, paused, shutting down).
func (r *lineRun) verify(ctx context.Context, call flows.Call, req bss.Request) (applied, known bool, err error) {
	if !req.Verifiable() {
		return false, false, nil
	}
	attempts := max(retryAttempts(call, r.e.cfg.DefaultRetry), 1)
	for attempt := 1; ; attempt++ {
		applied, known, _ := r.verifyOnce(ctx, req)
		if known || attempt >= attempts || ctx.Err() != nil {
			return applied, known, nil //nolint:nilerr // a verify that could not tell answers unknown; the run sees its context end itself
		}
		if err := r.backOff(ctx, call, attempt, 0); err != nil {
			return false, false, err
		}
	}
}

// recordIntent journals a write as an intent before it is sent, in a
// transaction that sees the execution running under its row lock: a write
// whose intent did not commit before a cancel or a pause is never sent, even
// when its step began before them.
func (r *lineRun) recordIntent(ctx context.Context, ref flows.StepRef, call flows.Call, req bss.Request, sent json.RawMessage) error {
	prev, had := r.journal[ref.Key]
	pending, events, seq := len(r.pending), len(r.events), r.seq
	r.record(ref, call.Method, string(req.Effect), call.Args, store.StepIntent, func(st *store.Step) {
		st.Request, st.IdempotencyKey, st.Attempts = sent, req.IdempotencyKey, st.Attempts+1
	})
	err := r.flushWith(ctx, true)
	if !errors.Is(err, store.ErrExecutionState) {
		return err
	}
	// Not sent, so not an intent: the entries before it are still to save.
	r.pending, r.events, r.seq = r.pending[:pending], r.events[:events], seq
	if had {
		r.journal[ref.Key] = prev
	} else {
		delete(r.journal, ref.Key)
	}
	r.e.states.forget(r.exec.ID)
	if err := r.Boundary(ctx, ref); err != nil {
		return err
	}
	return errPaused // running again already: hand the line back, and it runs on
}

// retryAttempts is the attempts of the call's retry policy.
func retryAttempts(c flows.Call, def *flows.RetryPolicy) int {
	if c.Retry != nil {
		return c.Retry.Attempts
	}
	return def.Attempts
}

// recover decides what to do with a write a dead worker left as an intent:
// nil and no error to send it (again), a value when it was applied.
func (r *lineRun) recover(ctx context.Context, ref flows.StepRef, call flows.Call, req bss.Request, st store.Step) (any, error) {
	if req.Idempotent {
		return nil, nil
	}
	if !req.Verifiable() {
		return nil, &flows.StepError{Code: codeNeedsReview,
			Message: fmt.Sprintf("%s was being sent when its worker stopped; it cannot be verified and is not safe to resend", req)}
	}
	applied, known, err := r.verify(ctx, call, req)
	if err != nil {
		return nil, err
	}
	switch {
	case known && applied:
		return r.completeWrite(ctx, ref, call, req, bss.Result{Outcome: bss.Success})
	case known:
		return nil, nil
	}
	return nil, &flows.StepError{Code: codeNeedsReview,
		Message: fmt.Sprintf("%s was being sent when its worker stopped, and BSS cannot tell whether it was applied", req)}
}

// completeWrite records a write's outcome with its audit entry. It goes to
// the database with the next write's intent (or the line's end), one
// transaction instead of two, when a worker that died before that could
// settle the write again from its intent: it is idempotent (resent, BSS
// answers "already") or verifiable. Other writes are completed at once, so
// that a crash after them never leaves an intent no one can settle.
func (r *lineRun) completeWrite(ctx context.Context, ref flows.StepRef, call flows.Call, req bss.Request, res bss.Result) (any, error) {
	result := WriteResult{Applied: res.Outcome == bss.Success || res.Outcome == bss.AlreadyDone, Outcome: string(res.Outcome),
		Status: res.Status, Body: res.Value}
	r.record(ref, call.Method, string(req.Effect), call.Args, store.StepCompleted, func(st *store.Step) {
		st.Outcome, st.Status, st.Value = string(res.Outcome), res.Status, mustJSON(result)
	})
	status := "succeeded"
	if !result.Applied {
		status = "failed"
	}
	code := res.Status
	writes := 0
	if res.Outcome == bss.Success {
		writes = 1
	}
	audit := store.AuditEntry{Actor: r.exec.CreatedBy, Method: req.Method, Route: req.System + " " + req.Path,
		Action: "fix flow write " + call.Method, Target: r.line.MSISDN, Status: status, StatusCode: &code,
		RequestID: req.IdempotencyKey, Detail: mustJSON(map[string]any{"execution_id": r.exec.ID, "line_id": r.line.ID,
			"step": ref.Key, "outcome": res.Outcome, "idempotency_key": req.IdempotencyKey})}
	r.audit = append(r.audit, audit)
	r.writes += writes
	if !req.Idempotent && !req.Verifiable() {
		if err := r.flush(ctx); err != nil {
			return nil, err
		}
	}
	return result, nil
}

// localRead answers line.get_contract and line.get_product from the line's
// customer enquiry, read once per run.
func (r *lineRun) localRead(ctx context.Context, ref flows.StepRef, call flows.Call) (any, error) {
	enquiry, err := r.lineEnquiry(ctx, call)
	if err != nil {
		return nil, err
	}
	search, _ := call.Args["search"].(map[string]any)
	var value any
	switch call.Method {
	case methodGetContract:
		if c, ok := r.contract(enquiry, search); ok {
			value = c
		}
	case methodGetProduct:
		contract := call.Args["contract"]
		if contract == nil {
			contract, _ = bss.FindLine(enquiry, r.line.MSISDN)
		}
		if p, ok := bss.GetProduct(contract, search); ok {
			value = p
		}
	}
	r.record(ref, call.Method, string(flows.EffectRead), call.Args, store.StepCompleted, func(st *store.Step) {
		st.Outcome, st.Value = "success", mustJSON(value)
		if value == nil {
			st.Outcome = "not_found"
		}
	})
	return value, nil
}

// contract finds the one contract of the enquiry that search describes:
// the contract itself or any object within it (one of its resources, say)
// deep-matches search. The legacy flows name a line's contract by
// {externalId: msisdn}; when nothing else matches, that search means the
// contract whose MSISDN resource is the line's number.
func (r *lineRun) contract(enquiry any, search map[string]any) (map[string]any, bool) {
	if c, ok := bss.GetContract(enquiry, search); ok {
		return c, true
	}
	var hit map[string]any
	n := 0
	for _, cust := range asObjects(enquiry) {
		for _, c := range asObjects(cust["contract"]) {
			if containsMatch(c, search, 0) {
				n++
				hit = map[string]any{"customer_id": cust["id"], "contract": c}
			}
		}
	}
	if n == 1 {
		return hit, true
	}
	if v, ok := search["externalId"].(string); ok && len(search) == 1 && bss.SameMSISDN(v, r.line.MSISDN) {
		return bss.FindLine(enquiry, r.line.MSISDN)
	}
	return nil, false
}

// containsMatch reports whether v or an object within it deep-matches
// search.
func containsMatch(v any, search map[string]any, depth int) bool {
	if depth > 32 {
		return false
	}
	if bss.DeepMatch(v, search) {
		return true
	}
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if containsMatch(e, search, depth+1) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if containsMatch(e, search, depth+1) {
				return true
			}
		}
	}
	return false
}

// asObjects reads a customer or contract list (or one object) as objects.
func asObjects(v any) []map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func (r *lineRun) lineEnquiry(ctx context.Context, call flows.Call) (any, error) {
	if r.enquiry != nil {
		return *r.enquiry, nil
	}
	req, err := r.e.catalog.BSS.Resolve(methodGetEnquiry, map[string]any{"msisdn": r.line.MSISDN})
	if err != nil {
		return nil, &flows.StepError{Code: flows.CodeInvalidArgs, Message: err.Error(), Err: err}
	}
	res, err := r.retrying(ctx, call, func(ctx context.Context) (bss.Result, bool) {
		res := r.do(ctx, req)
		return res, res.Outcome == bss.Transient
	})
	if err != nil {
		return nil, err
	}
	var value any
	switch {
	case res.Outcome == bss.NotFound:
		// BSS does not know the line: get_contract and get_product find
		// nothing (None), so that `when: not info` can act on it.
	case !res.OK():
		return nil, stepError(res)
	default:
		value = res.Value
	}
	r.enquiry = &value
	return value, nil
}

// local runs the methods that keep something with the line.
func (r *lineRun) local(ctx context.Context, ref flows.StepRef, call flows.Call) (any, error) {
	var value any
	switch call.Method {
	case methodSaveObject:
		name, _ := call.Args["var_name"].(string)
		if name == "" {
			return nil, &flows.StepError{Code: flows.CodeInvalidArgs, Message: "line.save_object needs var_name"}
		}
		r.artefacts[name] = call.Args["obj"]
		value = call.Args["obj"]
	case methodSetObservation:
		for _, k := range []string{"note", "text", "message", "observation"} {
			if v, ok := call.Args[k]; ok {
				value = fmt.Sprint(v)
				break
			}
		}
		if value == nil {
			return nil, &flows.StepError{Code: flows.CodeInvalidArgs, Message: "line.set_observation needs note"}
		}
		r.observations = append(r.observations, value.(string))
	case methodValidate:
		report, err := r.validate(ctx, call.Args)
		if err != nil {
			return nil, err
		}
		value = report
	}
	r.record(ref, call.Method, string(flows.EffectLocal), call.Args, store.StepCompleted, func(st *store.Step) {
		st.Outcome, st.Value = "success", mustJSON(value)
	})
	return value, nil
}

// validate judges a record given to validator.validate, as a map: the
// report as the API shows it.
func (r *lineRun) validate(ctx context.Context, args map[string]any) (any, error) {
	if r.e.cfg.Validators == nil {
		return nil, &flows.StepError{Code: flows.CodeInvalidArgs, Message: "validator.validate: no validator configured"}
	}
	var doc any
	for _, k := range []string{"document", "data", "record"} {
		if v, ok := args[k]; ok {
			doc = v
			break
		}
	}
	data, ok := doc.(string)
	raw := []byte(data)
	if !ok {
		raw = mustJSON(doc)
	}
	v, err := r.e.cfg.Validators.Validator(ctx)
	if err != nil {
		return nil, err
	}
	report, err := v.Validate(ctx, raw)
	if err != nil {
		return nil, &flows.StepError{Code: flows.CodeInvalidArgs, Message: "validator.validate: " + err.Error(), Err: err}
	}
	var out any
	if err := json.Unmarshal(mustJSON(report), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// unmadePlannedWrites lists the writes the plan had that this run did not
// reach.
func (r *lineRun) unmadePlannedWrites() []string {
	var missing []string
	for _, key := range slices.Sorted(maps.Keys(r.planned)) {
		if r.planned[key].Effect != "approve" && !r.visited[key] {
			missing = append(missing, key)
		}
	}
	return missing
}

// flush writes the pending journal entries, events and audit entries.
func (r *lineRun) flush(ctx context.Context) error { return r.flushWith(ctx, false) }

// flushWith writes what is pending; whileRunning refuses to unless the
// execution is running, and then keeps it pending.
func (r *lineRun) flushWith(ctx context.Context, whileRunning bool) error {
	if len(r.pending) == 0 && len(r.audit) == 0 && len(r.events) == 0 {
		return nil
	}
	start := time.Now()
	defer func() { r.spent(func(t *StepTiming) { t.Store += time.Since(start) }) }()
	err := r.e.journal.do(ctx, r.stepWrite(whileRunning))
	if err != nil {
		return err
	}
	r.pending, r.events, r.audit, r.writes = r.pending[:0], r.events[:0], r.audit[:0], 0
	return nil
}

// stepWrite is what is pending, to save.
func (r *lineRun) stepWrite(whileRunning bool) store.StepWrite {
	return store.StepWrite{ExecutionID: r.exec.ID, LineID: r.line.ID, Steps: r.pending, Events: r.events,
		Audit: r.audit, Writes: r.writes, WhileRunning: whileRunning}
}

// finish records the line's end with its pending entries.
func (r *lineRun) finish(ctx context.Context, state, code, message, at string) error {
	// The outcome must be written even when the job's time is up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	defer r.observe("line", "finish")()
	start := time.Now()
	defer func() { r.spent(func(t *StepTiming) { t.Store += time.Since(start) }) }()
	done := r.e.finishes.do(ctx, finishing{outcome: store.LineOutcome{
		StepWrite:  r.stepWrite(false),
		Generation: r.line.Generation, State: state, ErrorCode: code, ErrorMessage: message, StoppedAt: at,
		Observations: strings.Join(r.observations, "\n"), Artefacts: mustJSON(r.artefacts),
	}, rules: store.PauseRules{MinLinesForRatio: r.e.cfg.MinLinesForRatio}})
	if done.err != nil {
		return done.err
	}
	exec := done.exec
	if exec.State != r.exec.State {
		r.e.states.forget(exec.ID)
	}
	return nil
}

// release hands the line back to the queue: its execution is paused.
func (r *lineRun) release(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := r.e.cfg.Store.ReleaseLine(ctx, r.stepWrite(false))
	if errors.Is(err, store.ErrExecutionState) {
		// The entries are saved; the line is still this job's.
		r.pending, r.events, r.audit, r.writes = nil, nil, nil, 0
		return errMoved
	}
	return err
}

// sentRequest is a write as BSS receives it, for the journal and for
// comparing an apply with its plan.
func sentRequest(req bss.Request) json.RawMessage {
	var body any
	if len(req.Body) > 0 {
		_ = json.Unmarshal(req.Body, &body)
	}
	return mustJSON(map[string]any{"system": req.System, "method": req.Method, "path": req.Path, "query": req.Query, "body": body})
}

// sameRequest compares two recorded requests as JSON values.
func sameRequest(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return string(mustJSON(x)) == string(mustJSON(y))
}

func describe(request json.RawMessage) string {
	if len(request) == 0 {
		return "no write"
	}
	return string(request)
}

// decodeValue is the value a completed entry saved, as the flow first saw
// it.
func decodeValue(st store.Step) (any, error) {
	if st.Effect == string(bss.EffectWrite) || st.Effect == string(bss.EffectDestructive) {
		var w WriteResult
		if err := json.Unmarshal(st.Value, &w); err != nil {
			return nil, fmt.Errorf("executions: journal of %s: %w", st.Key, err)
		}
		return w, nil
	}
	if len(st.Value) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(st.Value, &v); err != nil {
		return nil, fmt.Errorf("executions: journal of %s: %w", st.Key, err)
	}
	return v, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// mustJSON encodes values made of JSON's own types, which cannot fail.
func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"unencodable": err.Error()})
	}
	return data
}
