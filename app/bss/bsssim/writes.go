package bsssim

import (
	"fmt"
	"net/http"

	"github.com/pff/pff/app/bss"
)

// refusal is a write BSS refuses, with the answer it gives.
type refusal struct {
	status    int
	code, msg string
}

func (f *refusal) write(w http.ResponseWriter) { writeError(w, f.status, f.code, f.msg) }

func already(format string, args ...any) *refusal {
	return &refusal{http.StatusConflict, "ALREADY_IN_STATE", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *refusal {
	return &refusal{http.StatusNotFound, "NOT_FOUND", fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *refusal {
	return &refusal{http.StatusBadRequest, "INVALID_REQUEST", fmt.Sprintf(format, args...)}
}

func badTransition(format string, args ...any) *refusal {
	return &refusal{http.StatusUnprocessableEntity, "INVALID_TRANSITION", fmt.Sprintf(format, args...)}
}

func knownContractStatus(s string) bool {
	switch s {
	case "ContractActive", "ContractInactive", "ContractSuspended", "ContractTerminated", "CtrlCancelado":
		return true
	}
	return false
}

func knownProductStatus(s string) bool {
	switch s {
	case "ProductActive", "ProductInactive", "ProductSuspended", "ProductTerminated":
		return true
	}
	return false
}

// Statuses the simulator's transitions set.
const (
	statusCtrlCancelado = "CtrlCancelado"
	// statusDeactivated is what vivoDeactivateContract leaves a postpaid
	// line in.
	statusDeactivated = "ContractSuspended"
)

// checkContractStatus says whether contract may move to status; the caller
// holds mu.
func checkContractStatus(contract map[string]any, status string) *refusal {
	id := contract["id"]
	current := bss.CurrentStatus(contract)
	switch {
	case !knownContractStatus(status):
		return invalid("unknown contract status %q", status)
	case current == status:
		return already("contract %v already has status %s", id, status)
	case current == bss.StatusTerminated:
		return badTransition("contract %v is terminated", id)
	case status == statusCtrlCancelado && !isControl(contract):
		return badTransition("contract %v is %v, not a Control or Prepaid line", id, contract["paymentContext"])
	}
	return nil
}

func isControl(contract map[string]any) bool {
	pc := contract["paymentContext"]
	return pc == "Control" || pc == "Prepaid"
}

// lineMSISDN is a contract's national MSISDN, for the ledger.
func lineMSISDN(contract map[string]any) string {
	for _, r := range objects(contract["resource"]) {
		if r["resourceSpecificationExternalId"] == bss.MSISDNSpec {
			num, _ := r["resourceNumber"].(string)
			if n, err := bss.NationalMSISDN(num); err == nil {
				return n
			}
		}
	}
	return ""
}

func contractTargets(customer, contract map[string]any) map[string]string {
	t := map[string]string{}
	if id, ok := customer["id"].(string); ok {
		t["customer_id"] = id
	}
	if id, ok := contract["id"].(string); ok {
		t["contract_id"] = id
	}
	if m := lineMSISDN(contract); m != "" {
		t["msisdn"] = m
	}
	return t
}

func callOf(r *http.Request) *call {
	if c, ok := r.Context().Value(callKey{}).(*call); ok {
		return c
	}
	return &call{}
}

// activateProduct (BIAS) activates a line's product by external ids,
