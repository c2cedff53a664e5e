package embed

// earlyStopping tracks the best validation result.
type earlyStopping struct {
	evaluated bool
	best      Metrics
	last      Metrics // of the latest evaluation; not checkpointed
	bestEpoch int
	sinceBest int  // evaluations without improvement since the best
	stopped   bool // ran out of patience
	entities  []float32
	relations []float32
}

// observe records a validation result, keeping a copy of the best model
// unless Config.ReturnLast, and decays the learning rate when it is no
// better than the best.
func (t *Trainer) observe(m Metrics) {
	e := &t.early
	e.last = m
	if !e.evaluated || m.MRR > e.best.MRR {
		e.evaluated, e.best, e.bestEpoch, e.sinceBest = true, m, t.epoch, 0
		if !t.cfg.ReturnLast {
			e.entities = append(e.entities[:0], t.model.entities...)
			e.relations = append(e.relations[:0], t.model.relations...)
		}
		return
	}
	e.sinceBest++
	if t.cfg.LRDecay > 0 {
		t.lrScale *= t.cfg.LRDecay
	}
	if t.cfg.Patience > 0 && e.sinceBest >= t.cfg.Patience {
		e.stopped = true
	}
}

// keepsBest says whether the trainer holds a copy of the best model.
func (t *Trainer) keepsBest() bool { return t.early.evaluated && !t.cfg.ReturnLast }

func (t *Trainer) result() *Result {
	r := &Result{Model: t.model, Epochs: t.epoch, BestEpoch: t.epoch, StoppedEarly: t.early.stopped}
	if e := t.early; e.evaluated && t.cfg.ReturnLast {
		// Training ends with an evaluation, so the last one is the model's.
		last := e.last
		r.Valid = &last
	} else if e.evaluated {
		best := e.best
		r.Model = &Model{dim: t.cfg.Dim, norm: t.cfg.Norm, entities: e.entities, relations: e.relations}
		r.BestEpoch, r.Valid = e.bestEpoch, &best
	}
	return r
}
