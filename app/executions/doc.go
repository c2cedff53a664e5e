// Package executions runs fix flows on customer lines, durably: an
// execution pins a flow file version and holds its lines; each line runs as
// one job, and keeps a journal of its steps, so a line that resumes after a
// crash replays the journal and never repeats a completed step.
//
// # Writes
//
// A write is recorded as an intent before it is sent, with an
// Idempotency-Key made of the execution, the line and the step (its key
// names the call path and the loop iteration), and completed after. A line
// that finds an intent it did not complete (its worker died) resends it only
// if the operation is idempotent; otherwise it asks BSS (the operation's
// verify) and resends only what was not applied; when BSS cannot tell, the
// line stops in needs_review for a person. Nothing is retried blindly.
//
// An intent is committed only while its execution runs (checked under the
// execution's row lock in the same transaction), so no write is sent after
// a cancel or a pause has committed. A write BSS answered 429 or 503 (or
// that never left) was not applied, and is sent again as its step's retry
// policy says; one that may have been applied is verified first.
//
// # The journal in the database
//
// Reads and local steps are saved with the next write's intent or the
// line's end. A write's completion is saved at once when nothing could
// settle it after a crash (neither idempotent nor verifiable); otherwise it
// goes with the next intent or the end, and a worker that died before that
// settles the write from its intent as above. The lines an engine runs
// share transactions: flushes and ends that come while one commits go
// together in the next (no goroutine of its own), each transaction takes
// an execution's row lock once, in its last statement, and costs two round
// trips. A claim takes no lock on the execution; the line's "running" event
// is saved with its first entries. EngineConfig.Observe reports where each
// step's time went.
//
// # Modes and controls
//
// A plan runs the reads for real and records the writes without sending
// them; applying the plan runs the lines again, and a line whose writes
// differ from its plan stops in needs_review before sending them. Cancel
// takes effect at the next step boundary; pause puts running lines back in
// the queue at theirs; a canary pauses after N lines, and a failure ratio
// pauses an execution going wrong. Executions of flows that can destroy
// (delete a contract, terminate a party), or of many lines, start only
// after a second person approves; approve steps in a flow park a line until
// someone approves it.
package executions
