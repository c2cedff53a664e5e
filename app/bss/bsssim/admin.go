package bsssim

import (
	"net/http"
	"strconv"
	"time"
)

// adminRoutes are the endpoints under /_sim/ (listed in the package
// documentation) that drive the simulator at run time.
func (s *Sim) adminRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sim/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		faults := s.Faults()
		out := make([]faultWire, len(faults))
		for i, f := range faults {
			out[i] = toWire(f)
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var in faultWire
		if !decodeBody(w, r, &in) {
			return
		}
		f, err := in.fault()
		if err == nil {
			f.ID, err = s.AddFault(f)
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_FAULT", err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, toWire(f))
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || !s.RemoveFault(id) {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "no fault "+r.PathValue("id"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/ledger", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		entries := s.LedgerFor(q.Get("action"), q.Get("key"), q.Get("value"))
		if entries == nil {
			entries = []LedgerEntry{}
		}
		writeJSON(w, http.StatusOK, entries)
	})
	mux.HandleFunc("DELETE /_sim/ledger", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearLedger()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/requests", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Requests())
	})
	mux.HandleFunc("DELETE /_sim/requests", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearRequests()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/documents", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.CustomerIDs())
	})
	mux.HandleFunc("POST /_sim/documents", func(w http.ResponseWriter, r *http.Request) {
		report, err := s.Load(r.Context(), r.Body, "upload", r.Header.Get("Content-Type"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_DOCUMENTS", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, report)
	})
	mux.HandleFunc("GET /_sim/documents/{id}", func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.DocumentJSON(r.PathValue("id"))
		if !ok {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "no customer "+r.PathValue("id"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b) // #nosec G705 -- JSON, served as application/json
	})
	mux.HandleFunc("DELETE /_sim/documents/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !s.RemoveDocument(r.PathValue("id")) {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "no customer "+r.PathValue("id"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/parties/{id}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.Party(r.PathValue("id"))
		if !ok {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "no party "+r.PathValue("id"))
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	return mux
}

// faultWire is a Fault as the admin endpoint reads and writes it, with
// durations as text.
type faultWire struct {
	Fault
	Latency    string `json:"latency,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
}

func toWire(f Fault) faultWire {
	w := faultWire{Fault: f}
	if f.Latency > 0 {
		w.Latency = f.Latency.String()
	}
	if f.RetryAfter > 0 {
		w.RetryAfter = f.RetryAfter.String()
	}
	return w
}

func (w faultWire) fault() (Fault, error) {
	f := w.Fault
	var err error
	if w.Latency != "" {
		if f.Latency, err = time.ParseDuration(w.Latency); err != nil {
			return f, err
		}
	}
	if w.RetryAfter != "" {
		if f.RetryAfter, err = time.ParseDuration(w.RetryAfter); err != nil {
			return f, err
		}
	}
	return f, nil
}
