package embed

// earlyStopping tracks the best validation result.
type earlyStopping struct {
	evaluated bool
	best      Metrics
	bestEpoch int
	sinceBest int  // evaluations without improvement since the best
	stopped   bool // ran out of patience
	entities  []float32
	relations []float32
}

// observe records a validation result, keeping a copy of the best model.
func (t *Trainer) observe(m Metrics) {
	e := &t.early
	if !e.evaluated || m.MRR > e.best.MRR {
		e.evaluated, e.best, e.bestEpoch, e.sinceBest = true, m, t.epoch, 0
		e.entities = append(e.entities[:0], t.model.entities...)
		e.relations = append(e.relations[:0], t.model.relations...)
		return
	}
	e.sinceBest++
	if t.cfg.Patience > 0 && e.sinceBest >= t.cfg.Patience {
		e.stopped = true
	}
}

func (t *Trainer) result() *Result {
	r := &Result{Model: t.model, Epochs: t.epoch, BestEpoch: t.epoch, StoppedEarly: t.early.stopped}
	if e := t.early; e.evaluated {
		best := e.best
		r.Model = &Model{dim: t.cfg.Dim, norm: t.cfg.Norm, entities: e.entities, relations: e.relations}
		r.BestEpoch, r.Valid = e.bestEpoch, &best
	}
	return r
}
