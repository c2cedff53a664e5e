package kg

// characteristics emits the characteristics of a list under predicate
// listPred (characteristic, or parent.comprisedOf for sub-characteristics);
// their names are qualified with prefix. scope is the top-level list, where
// sub-characteristics that carry only a charSpecId find their names.
func (b *builder) characteristics(subject, prefix, listPred string, list, scope node) {
	for i, c := range b.t.kids(list) {
		mark := b.enterIndex(i)
		b.characteristic(subject, prefix, listPred, c, scope)
		b.leave(mark)
	}
}

// charName returns a characteristic's charSpecExternalId, else the one its
// charSpecId has in scope, else the charSpecId.
func (b *builder) charName(c, scope node) string {
	if name, ok := b.t.str(c, "charSpecExternalId"); ok && name != "" {
		return name
	}
	id, ok := b.t.str(c, "charSpecId")
	if !ok || id == "" {
		return ""
	}
	for _, s := range b.t.kids(scope) {
		if other, _ := b.t.str(s, "charSpecId"); other == id {
			if name, ok := b.t.str(s, "charSpecExternalId"); ok && name != "" {
				return name
			}
		}
	}
	return id
}

// characteristic emits listPred(e, name), name(e, value) for each value,
// name.member(e, ...) for the other members of a value entry (unitOfMeasure)
// and of the characteristic (validFor), and its sub-characteristics as
// name.child. One without a name is flattened like any object.
func (b *builder) characteristic(subject, prefix, listPred string, c, scope node) {
	name := b.charName(c, scope)
	if name == "" {
		b.value(subject, listPred, PredCharacteristic, c)
		return
	}
	if prefix == "" && isDerived(name) {
		name = PredCharacteristic + "." + name
	}
	pred := b.pred(prefix, name)
	b.emit(subject, listPred, name, Literal, ClassCategory)
	for _, m := range b.t.kids(c) {
		mark := b.enter(m.key)
		switch {
		case m.key == "charSpecExternalId" || m.key == "charSpecId":
			// The name.
		case m.key == "value" && m.kind == kindArray:
			b.charValues(subject, pred, m)
		case m.key == "comprisedOf" && m.kind == kindArray:
			b.characteristics(subject, pred, b.pred(pred, m.key), m, scope)
		default:
			b.value(subject, b.pred(pred, m.key), m.key, m)
		}
		b.leave(mark)
	}
}

func (b *builder) charValues(subject, pred string, values node) {
	for i, v := range b.t.kids(values) {
		mark := b.enterIndex(i)
		if v.kind != kindObject {
			b.value(subject, pred, "value", v)
			b.leave(mark)
			continue
		}
		for _, m := range b.t.kids(v) {
			inner := b.enter(m.key)
			if m.key == "value" {
				b.value(subject, pred, m.key, m)
			} else {
				b.value(subject, b.pred(pred, m.key), m.key, m)
			}
			b.leave(inner)
		}
		b.leave(mark)
	}
}
