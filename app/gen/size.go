package gen

import "slices"

// Record sizes, in bytes of indented JSON, before a fault is injected: the
// 15 to 90 KB of production, less the most an injection adds or removes.
const (
	minSize = 17 << 10
	maxSize = 86 << 10
)

// fit renders the record, first trimming or padding it with former products
// when its size is out of bounds.
func (b *recordBuilder) fit(c *customer, compact bool) []byte {
	for {
		doc, size := b.render(c, compact)
		if size > maxSize && b.shrink(c) || size < minSize && b.grow(c) {
			continue
		}
		return doc
	}
}

// render writes the record into b.buf and returns it, with its size in the
// indented layout, which decides its contents whatever the layout written.
func (b *recordBuilder) render(c *customer, compact bool) ([]byte, int) {
	w := jsonWriter{buf: b.buf[:0], compact: compact}
	w.document(c)
	b.buf = w.buf
	return w.buf, len(w.buf) + w.indent
}

// shrink makes the record smaller, and reports whether it could: it removes
// a former product from each line with more than six, else the prices of a
// plan, else a product a line can do without.
func (b *recordBuilder) shrink(c *customer) bool {
	return b.dropProducts(c, isFormer) || b.dropPrices(c) || b.dropProducts(c, isOptional)
}

// grow makes the record larger, and reports whether it could: it adds a
// former product to a line with fewer than nine, else prices to a plan.
func (b *recordBuilder) grow(c *customer) bool {
	for i := range c.Contracts {
		k := &c.Contracts[i]
		if len(k.Products) < 9 {
			k.Products = slices.Insert(k.Products, b.IntN(len(k.Products)+1), b.former(&b.lines[i]))
			return true
		}
	}
	for i := range c.Contracts {
		for j := range c.Contracts[i].Products {
			p := &c.Contracts[i].Products[j]
			if quota, ok := initialValue(*p); ok && p.OfferingExternalID == offerPlan && p.Prices == nil {
				p.Prices = b.planPrices(quota, p.Status[0].ValidFor.Start)
				return true
			}
		}
	}
	return false
}

// dropProducts removes the first product that matches from each line with
// more than six, and reports whether it removed any.
func (b *recordBuilder) dropProducts(c *customer, match func(product) bool) bool {
	removed := false
	for i := range c.Contracts {
		k := &c.Contracts[i]
		if len(k.Products) <= 6 {
			continue
		}
		if j := slices.IndexFunc(k.Products, match); j >= 0 {
			k.Products = slices.Delete(k.Products, j, j+1)
			removed = true
		}
	}
	return removed
}

// dropPrices removes the prices of a plan, and reports whether one had any.
func (b *recordBuilder) dropPrices(c *customer) bool {
	for i := range c.Contracts {
		for j := range c.Contracts[i].Products {
			if p := &c.Contracts[i].Products[j]; p.Prices != nil {
				p.Prices = nil
				return true
			}
		}
	}
	return false
}

// isFormer reports whether p is a product the line held before and no
// longer does (not one it ended with, if the line ended), which no sharing
// link of another product names.
func isFormer(p product) bool { return p.former }

// isOptional reports whether a line can do without p: it is no plan and no
// sharing link names it but its own.
func isOptional(p product) bool {
	switch p.OfferingExternalID {
	case offerTechnical, offerExcessIndividual, offerBonus, offerApps, offerMobility, offerSVA:
		return true
	}
	return false
}

// initialValue returns the byte quota of a product, if it has one.
func initialValue(p product) (string, bool) {
	for _, c := range p.Characteristics {
		if c.Name == "initialValue" {
			return c.Values[0].Value, true
		}
	}
	return "", false
}
