package executions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// Queue queues the job of each line inside the transaction that makes the
// lines runnable.
type Queue interface {
	EnqueueLines(ctx context.Context, tx pgx.Tx, lineIDs []int64) error
}

// ServiceConfig are the dependencies of a Service. Zero values mean defaults.
type ServiceConfig struct {
	Store  *store.Store
	Queue  Queue
	Engine *Engine
	// ApprovalLines is the most lines an execution may have and start
	// without a second person's approval (default 500).
	ApprovalLines int
	// MaxLines bounds an execution (default 100,000).
	MaxLines int
}

// Service starts, watches and steers executions: the operations behind the
// API, the command line and the console.
type Service struct {
	cfg ServiceConfig
}

// NewService makes the executions service.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Store == nil || cfg.Queue == nil || cfg.Engine == nil {
		return nil, errors.New("executions: ServiceConfig needs Store, Queue and Engine")
	}
	if cfg.ApprovalLines == 0 {
		cfg.ApprovalLines = 500
	}
	if cfg.MaxLines == 0 {
		cfg.MaxLines = 100_000
	}
	return &Service{cfg: cfg}, nil
}

// Catalog is what flows may call, for lint.
func (s *Service) Catalog() Catalog { return s.cfg.Engine.Catalog() }

// Modes of an execution.
const (
	ModeRun  = "run"
	ModePlan = "plan"
)

// StartRequest starts an execution.
type StartRequest struct {
	// Name labels the execution (a legacy manifest's execution_id).
	Name string `json:"name,omitempty"`
	// Flow is the flow each line runs, unless the line names its own.
	Flow string `json:"flow,omitempty"`
	// FlowsID is the flow file version to run; 0 means the active one.
	FlowsID int64 `json:"flows_id,omitempty"`
	// Mode is run (the default) or plan: reads run, writes are recorded.
	Mode  string      `json:"mode,omitempty"`
	Lines []LineInput `json:"lines"`
	// Canary pauses the execution after that many lines, for a look.
	Canary int `json:"canary,omitempty"`
	// MaxFailureRatio pauses it when more of its lines fail (0: never).
	MaxFailureRatio float64 `json:"max_failure_ratio,omitempty"`
}

// LineInput is a line to run: its MSISDN, the flow when not the
// execution's, its other input columns and its payload.
type LineInput struct {
	MSISDN  string         `json:"msisdn"`
	Flow    string         `json:"flow,omitempty"`
	Columns map[string]any `json:"columns,omitempty"`
	Payload any            `json:"payload,omitempty"`
}

// Start checks a request against the flow file it would run and starts the
// execution: its lines and their jobs in one transaction, or it waits for a
// second person's approval when its flows can destroy or it has more lines
// than ServiceConfig.ApprovalLines.
func (s *Service) Start(ctx context.Context, req StartRequest, by string) (store.Execution, error) {
	var problems problem.Fields
	mode := req.Mode
	switch mode {
	case "":
		mode = ModeRun
	case ModeRun, ModePlan:
	default:
		problems.Add("mode", "must be run or plan")
	}
	if len(req.Lines) == 0 || len(req.Lines) > s.cfg.MaxLines {
		problems.Add("lines", "give 1 to %d lines", s.cfg.MaxLines)
	}
	if req.Canary < 0 || req.Canary > len(req.Lines) {
		problems.Add("canary", "must be between 0 and the number of lines")
	}
	if req.MaxFailureRatio < 0 || req.MaxFailureRatio > 1 || req.MaxFailureRatio != req.MaxFailureRatio {
		problems.Add("max_failure_ratio", "must be between 0 and 1")
	}
	if !validText(req.Name, 200) {
		problems.Add("name", "must be UTF-8 text of at most 200 characters, without control characters")
	}
	if err := problems.Err(); err != nil {
		return store.Execution{}, err
	}
	flowsID, file, err := s.flowFile(ctx, req.FlowsID)
	if err != nil {
		return store.Execution{}, err
	}
	lines := make([]store.NewLine, len(req.Lines))
	used := map[string]bool{}
	for i, l := range req.Lines {
		flow := cmpOr(l.Flow, req.Flow)
		at := fmt.Sprintf("lines[%d]", i)
		switch {
		case !validMSISDN(l.MSISDN):
			problems.Add(at+".msisdn", "must be 8 to 15 digits, optionally after 55 or +55: %q", truncate(l.MSISDN))
		case flow == "":
			problems.Add(at+".flow", "no flow: give the execution's flow or the line's")
		case file.Flow(flow) == nil:
			problems.Add(at+".flow", "the flow file has no flow %q", truncate(flow))
		}
		if len(problems) >= 20 {
			break
		}
		used[flow] = true
		var payload json.RawMessage
		if l.Payload != nil {
			if payload, err = json.Marshal(l.Payload); err != nil {
				problems.Add(at+".payload", "cannot be stored: %v", err)
			}
		}
		lines[i] = store.NewLine{MSISDN: l.MSISDN, Flow: flow, Columns: l.Columns, Payload: payload}
	}
	if err := problems.Err(); err != nil {
		return store.Execution{}, err
	}
	if mode == ModeRun && legacy(file) {
		approved, err := s.cfg.Store.FlowsApproved(ctx, flowsID)
		if err != nil {
			return store.Execution{}, err
		}
		if !approved {
			return store.Execution{}, problem.Conflictf("plan_only",
				"this flow file came from the legacy engine: it runs only as a plan until an admin approves it after reviewing one (mode plan, then approve the flow file)")
		}
	}
	ne := store.NewExecution{Name: cmpOr(req.Name, fmt.Sprintf("%s ×%d", firstFlow(lines), len(lines))), FlowsID: flowsID,
		Mode: mode, State: store.ExecRunning, Canary: req.Canary, MaxFailureRatio: req.MaxFailureRatio, CreatedBy: by, Lines: lines}
	if mode == ModeRun {
		if ne.Approval = s.approvalNeeded(file, used, len(lines)); ne.Approval != "" {
			ne.State = store.ExecAwaitingApproval
		}
	}
	return s.cfg.Store.CreateExecution(ctx, ne, s.cfg.Queue.EnqueueLines)
}

// approvalNeeded says why an execution needs a second person, or "".
func (s *Service) approvalNeeded(file *flows.File, used map[string]bool, lines int) string {
	var reasons []string
	for _, flow := range slices.Sorted(maps.Keys(used)) {
		if flows.CanDestroy(file, flow, s.Catalog()) {
			reasons = append(reasons, fmt.Sprintf("flow %s can make destructive writes", flow))
		}
	}
	if lines > s.cfg.ApprovalLines {
		reasons = append(reasons, fmt.Sprintf("%d lines, over flows.approval_lines (%d)", lines, s.cfg.ApprovalLines))
	}
	return strings.Join(reasons, "; ")
}

// flowFile is the flow file version to run: the one named, or the active.
func (s *Service) flowFile(ctx context.Context, id int64) (int64, *flows.File, error) {
	if id == 0 {
		active, err := s.cfg.Store.ActiveKnowledgeVersions(ctx)
		if err != nil {
			return 0, nil, err
		}
		for _, a := range active {
			if a.Kind == string(knowledge.KindFlows) {
				id = a.ID
			}
		}
		if id == 0 {
			return 0, nil, problem.Conflictf("no_active_flows", "no flow file is active: upload one (pff flows upload, POST /api/v1/flows) and activate it")
		}
	}
	f, err := s.cfg.Engine.files.get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, problem.NotFoundf("no flow file version %d", id)
	}
	return id, f, err
}

// legacy reports whether a flow file uses only the legacy engine's keys: it
// was written for an engine that skipped branches this one takes.
func legacy(f *flows.File) bool {
	for _, fl := range f.Flows {
		for _, st := range fl.Steps {
			if st.ID != "" || st.Retry != nil || st.Timeout != 0 || st.OnError != "" || st.Approve != nil || st.Fail != nil || st.End != nil {
				return false
			}
		}
	}
	return true
}

// ApproveFlows lets a legacy flow file run for real, once an admin has
// reviewed plan planID of it.
func (s *Service) ApproveFlows(ctx context.Context, flowsID, planID int64, by string) error {
	err := s.cfg.Store.ApproveFlows(ctx, flowsID, planID, by)
	if errors.Is(err, store.ErrNotFound) {
		return problem.Conflictf("no_plan", "execution %d is not a finished plan of flow file %d: review a plan of it first", planID, flowsID)
	}
	return err
}

func firstFlow(lines []store.NewLine) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[0].Flow
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// validMSISDN accepts a Brazilian number as the flows use it: 8 to 15
// digits, optionally prefixed by + or 55.
func validMSISDN(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 8 || len(s) > 15 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validText is UTF-8 without control characters, at most n runes.
func validText(s string, n int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > n {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// truncate keeps what an error quotes of hostile input short.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Engine is the engine the service's executions run on.
func (s *Service) Engine() *Engine { return s.cfg.Engine }
