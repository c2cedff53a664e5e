package flows

import (
	"strconv"
	"strings"
	"time"
)

// File is a parsed flow file. It is immutable and safe for concurrent use.
type File struct {
	// Name is the file name given to Parse, used in positions.
	Name string
	// Flows are in file order.
	Flows []*Flow

	byName map[string]*Flow
	diags  Diagnostics // what Parse found; Lint reports it again
}

// Flow returns the flow of that name, or nil.
func (f *File) Flow(name string) *Flow { return f.byName[name] }

// Flow is a named list of steps.
type Flow struct {
	Name  string
	Pos   Pos
	Steps []*Step

	key string         // Name escaped for step keys
	ids map[string]int // step index by id
}

// On_error actions other than a jump to a step id.
const (
	OnErrorFail     = "fail"
	OnErrorContinue = "continue"
)

// Step is one step of a flow. Exactly one of Method, NextSequence, Set,
// Approve, Fail and End says what it does.
type Step struct {
	// Pos is where the step starts.
	Pos Pos
	// Flow is the name of the flow that holds the step; Index its place there.
	Flow  string
	Index int
	// ID names the step for on_error jumps; optional.
	ID string

	// Method is called with Args; its result is saved as SaveAs.
	Method string
	Args   []Arg
	SaveAs string
	// Retry and Timeout are handed to the runtime with the call.
	Retry   *RetryPolicy
	Timeout time.Duration

	// When, if set, must be true for the step to run; on a looping step it
	// is evaluated for each item.
	When *Expr
	// LoopOver, if set, runs the step once per element of a list, with
	// item and index bound.
	LoopOver *Expr

	// NextSequence runs another flow of the file, which shares variables.
	NextSequence string

	// Set assigns Value to a variable.
	Set   string
	Value *Value

	// Approve parks the line until a person approves; the text is the message.
	Approve *Template
	// Fail fails the line with a message.
	Fail *Template
	// End ends the line successfully; the text, possibly empty, is the message.
	End *Template

	// OnError says what a failure of the step does: OnErrorFail (also when
	// empty), OnErrorContinue, or the id of a step of the flow to jump to.
	OnError string

	valuePos map[string]Pos // where each key's value is written
}

// Arg is one argument of a method call.
type Arg struct {
	Name  string
	Pos   Pos
	Value *Value
}

// Outcome codes of a failed step. The interpreter produces CodeExprError,
// CodeFail, CodeLimit and CodeInvalidArgs; the runtime's calls produce the
// others (or codes of its own).
const (
	CodeExprError   = "expr_error"   // an expression failed
	CodeFail        = "fail"         // a fail step ran
	CodeLimit       = "limit"        // too many steps, visits or nested calls
	CodeInvalidArgs = "invalid_args" // a method built into the interpreter got bad arguments
	CodeTransient   = "transient"    // failed without effect; safe to try again
	CodeUnknown     = "unknown"      // the outcome of a write is unknown
	CodeRejected    = "rejected"     // the system refused the request
	CodeTimeout     = "timeout"      // no answer in time
)

// escapeKey escapes the characters step keys use as separators.
func escapeKey(name string) string {
	if !strings.ContainsAny(name, "%/[]#~") {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune("%/[]#~", r) {
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(r), 16)))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
