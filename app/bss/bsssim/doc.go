// Package bsssim is an in-memory BSS for demos and tests: it answers every
// path of PFF's BSS catalogue (app/bss) as BIAS, BAE and CPM do, over
// customer-enquiry documents in the production shape.
//
// State. Customers are customer-enquiry documents, added from Go values
// (AddDocument, AddJSON), from app/gen records (AddGenerated) or from record
// files in any format app/ingest reads (Load, LoadPaths, POST
// /_sim/documents). Each contract's current user becomes a party with
// externalId "userPartyExternalId_" + the contract's externalId. GET of the
// enquiry (and Document, GET /_sim/documents/{id}) shows every change, so a
// repaired document can be ingested again.
//
// Writes change state as BSS does: a status change ends the current status
// entry (validFor.endDateTime) and appends the new one, starting now, last.
//
//   - PATCH contract (BAE): contract status and/or products' statuses.
//   - updateStatus (BIAS): the line's contract status; CtrlCancelado (soft
//     cancel) only for Control and Prepaid lines.
//   - vivoActivateProduct: a product active again, or created.
//   - vivoDeactivateContract: a postpaid line ContractSuspended, with reason.
//   - rmil-manage-consumer-list: consumers added to a provider product.
//   - vivoCreateClient: a new customer (needs an object with externalId).
//   - DELETE contract: the contract leaves the customer.
//   - updateParty: a party's status (PartyTerminated).
//
// A write that would change nothing answers 409 {"code":"ALREADY_IN_STATE",
// "message":"… already …"}; unknown targets 404; bad bodies 400; forbidden
// transitions (a terminated contract, soft-cancelling a postpaid line) 422.
// Reads of unknown things answer 404, except the enquiry by number, which
// answers an empty list.
//
// Ledger. Every applied write is recorded with its route, the ids it
// touched, the Idempotency-Key it came with, its cluster and time. Keys are
// not honoured unless Config.HonourIdempotencyKeys, so duplicates show.
//
// Faults (AddFault, /_sim/faults) hit requests by method, path pattern and
// cluster, with a probability drawn from Config.Seed: error statuses (also
// after applying), latency, a timeout after the write was applied, a
// connection reset after it was applied, 429 with Retry-After, and outages
// (503, or refused connections for clusters served by Start).
//
// Start serves one state on N clusters (127.0.0.1 listeners, HTTP or TLS).
//
// Admin endpoints, never faulted and never behind auth:
//
//	GET    /_sim/health              "ok"
//	GET    /_sim/faults              the faults in force, with their hits
//	POST   /_sim/faults              add a Fault (JSON; latency and retry_after
//	                                 as Go durations, "250ms")
//	DELETE /_sim/faults              remove every fault
//	DELETE /_sim/faults/{id}         remove one
//	GET    /_sim/ledger              applied writes (?action=&key=&value=)
//	DELETE /_sim/ledger              empty it
//	GET    /_sim/requests            requests received (time, cluster, key)
//	DELETE /_sim/requests            empty the log
//	GET    /_sim/documents           customer ids
//	POST   /_sim/documents           load documents: JSON, NDJSON, gzip, ZIP
//	GET    /_sim/documents/{id}      a customer's current document
//	DELETE /_sim/documents/{id}      drop a customer
//	GET    /_sim/parties/{id}        a party
package bsssim
