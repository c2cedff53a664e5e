// Package bss is PFF's door to the BSS systems (BIAS, BAE, CPM) that fix
// flows act on: a declarative catalogue of the operations and a client that
// calls them without ever duplicating a side effect behind the engine's
// back.
//
// # Catalogue
//
// catalogue.yaml, embedded in the binary, maps each flow method
// (line.set_contract_status, …) to one or more variants, chosen by which
// args are present and by their values. A variant names its system, HTTP
// method, path, query, headers and body as templates over the args, its
// effect (read, write or destructive), which error answers mean "already in
// that state", whether a resend is safe (idempotent), and how to verify
// afterwards that a write was applied (a read and an expr-lang expression).
// LoadCatalogue merges files that extend or override it; Catalogue.Resolve
// turns a method and its args into a Request, with errors that name the
// args at fault; Methods lists methods, params and effects for linters.
// GetContract, GetProduct, FindLine and CurrentStatus read the
// customer-enquiry document's shape.
//
// # Outcomes
//
// Every call ends in one Outcome, and Result.Sent says whether anything may
// have reached BSS (false means certainly nothing was applied):
//
//   - success: a 2xx, an empty one included. A read's Value is the decoded
//     document; a read with an empty answer is not_found instead.
//   - already_done: a write answered with an error the catalogue declares as
//     "already in that state" (status code plus optional body pattern).
//   - not_found: a read answered 404, an empty list, or nothing. Value is
//     nil, never an error object, so `when: not enquiry` works.
//   - rejected: any other 4xx (a write's 404 included), a redirect, 501.
//     Sending the same request again will not help.
//   - transient: not processed, may be tried later: nothing could be sent
//     (dial or TLS failure, open breaker, no rate-limit turn before the
//     deadline, every cluster paused by Retry-After), a 429 or 503 (their
//     Retry-After is in Result.RetryAfter and honoured by the client, which
//     sends nothing to that system (429) or cluster (503) until it passes),
//     408/425, and for reads also timeouts, resets and 5xx.
//   - unknown: a write that may or may not have been applied: it was sent
//     and then timed out, the connection broke, or BSS answered 500, 502 or
//     504. Only Client.Verify can tell.
//
// # Write safety
//
//   - The client never retries a write, never hedges it and never sends it
//     to two clusters. A write moves to the next cluster only when its
//     connection was never made (dial or TLS handshake failed), which is the
//     one case where nothing left PFF. Reads move on after any transient
//     failure.
//   - net/http is not allowed to replay writes either: each write has its
//     own connection and no GetBody, so the transport's own retry of
//     "replayable" requests (which includes any request carrying an
//     Idempotency-Key) cannot fire.
//   - Redirects are not followed. No proxy is used.
//   - Request.IdempotencyKey travels as the Idempotency-Key header, so BSS
//     (or the simulator) can recognise a resend.
//   - Whether to resend after unknown is the engine's decision: verify
//     first (Client.Verify returns applied and known), and resend only if not
//     applied, or if the catalogue marks the write idempotent.
//
// # Guards
//
// Per system (Config.Systems): ordered cluster base URLs, TLS (CA, client
// certificate), basic or bearer auth read from environment variables, a
// per-attempt timeout, a GCRA rate limit through auth.Limiter (calls wait
// for their turn; share a RedisLimiter to share the budget between
// processes), a bound on calls in flight, and a circuit breaker: consecutive
// failures (transport errors, timeouts, 5xx) open it for a cool-down, during
// which calls end transient with Sent=false at once; then a configured
// number of probes go through, and the first result closes or reopens it.
//
// Metrics (NewMetrics) count calls by system, operation and outcome, time
// them, and export each breaker's state.
package bss
