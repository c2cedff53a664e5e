package kg

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Builder turns records into graphs. The zero value is ready to use and
// judges current statuses by the clock; set Now for reproducible graphs.
// A Builder is safe for concurrent use.
type Builder struct {
	// Now is the moment current statuses are judged at; zero means time.Now().
	Now time.Time
}

// Build turns one record into its graph, judging statuses by the clock.
func Build(doc []byte) (*Graph, error) {
	return Builder{}.Build(doc)
}

// Build turns one customer-enquiry record into its graph. The mapping:
//
//   - Every object with a string id is an entity, typed after the key it sits
//     under (customer for the record itself, account, contract, product,
//     resource, price, partyRole, consumerListEntry, billCycle,
//     priceComponent, ...): type(e, 'contract'), plus an edge from its parent
//     named after that key: contract(customer, c), product(c, p).
//   - A scalar member is a literal fact (e, key, value). Objects without an id
//     are flattened into dotted predicates, arrays are transparent:
//     contractSpecification.id(c, ...), homeTimeZone.timeZone(c, ...),
//     sharingConsumer.providerContractId(p, ...).
//   - A validFor (any object of only startDateTime and endDateTime) is one
//     ISO 8601 interval literal, "start/end", ".." for an open end.
//   - Sentinel dates (1970-01-01, 9999-12-31) are dropped, as literals and as
//     interval ends.
//   - status[] keeps its history as status.status, status.reason and
//     status.validFor facts, and adds status(e, current). Current is the entry
//     whose validFor covers Now (the latest-starting, if several do), else the
//     latest-starting entry; a missing, sentinel or unreadable start is the
//     beginning of time, such an end is never, and ties go to the later entry.
//   - A characteristic becomes name(e, value), named by its charSpecExternalId:
//     clientCategory(c, 'pos'), with name.unitOfMeasure, name.validFor and
//     characteristic(e, name). Sub-characteristics (comprisedOf) are
//     parent.child, named like the characteristic of the same charSpecId in
//     the entity's list. A name that would shadow a derived predicate (type,
//     status, ...) is prefixed "characteristic.". charSpecIds are dropped.
//   - Members that hold the id of another entity (partyRoleId,
//     provider/consumer customer, contract, product and consumer-list-entry
//     ids) and {id, externalId} references (baRefForBillCycleAlignedRecurrence,
//     sharingProvider.billingAccount) are edges to that entity. When the record
//     does not define the id, the edge stays, with Class ClassDangling, and a
//     fact dangling(e, id) with the same pointer is added after all the others.
//     Such an id is no entity of the graph and has no type fact, which rules
//     can test either way. (A contract user's partyRoleId always dangles: an
//     enquiry carries no user parties.)
//   - A contract's MSISDN resources are also msisdn(contract, resource)
//     edges, after the dangling facts, with the resource's pointer.
//
// Every triple carries the JSON pointer of the member it came from (the
// object, for entity and type facts). The triples are in document order, so
// the same record always yields the same graph.
func (bd Builder) Build(doc []byte) (*Graph, error) {
	t, err := parseJSON(string(doc))
	if err != nil {
		return nil, fmt.Errorf("kg: parse record: %w", err)
	}
	if t.root.kind != kindObject {
		return nil, errors.New("kg: record is not a JSON object")
	}
	id, ok := t.str(t.root, "id")
	if !ok || id == "" {
		return nil, errors.New("kg: record has no customer id")
	}
	now := bd.Now
	if now.IsZero() {
		now = time.Now()
	}
	// Records make about two facts for every three values, each with a
	// pointer of some 45 bytes.
	facts := len(t.nodes) * 3 / 4
	b := builder{
		t:   t,
		now: now,
		g: &Graph{
			Root:     id,
			Entities: make(map[string]EntityInfo, 64),
			Triples:  make([]Triple, 0, facts),
		},
		preds: make(map[[2]string]string, 64),
		ptr:   make([]byte, 0, 128),
		ptrs:  make([]byte, 0, facts*48),
		ends:  make([]int, 0, facts),
	}
	b.entity(id, "customer", t.root)
	b.resolveReferences()
	b.linkMSISDNs()
	b.setPointers()
	return b.g, nil
}

type builder struct {
	t   *tree
	now time.Time
	g   *Graph

	preds map[[2]string]string // dotted predicates, built once per build
	refs  []int                // indices of reference triples

	// ptr is the pointer of the value being walked. Triple pointers are
	// appended to ptrs and cut from one string at the end (ends[i] closes
	// triple i's), which saves an allocation per triple.
	ptr  []byte
	ptrs []byte
	ends []int
}

// entity emits an entity's type and the facts of its members.
func (b *builder) entity(id, typ string, obj node) {
	if _, seen := b.g.Entities[id]; !seen {
		b.g.Entities[id] = EntityInfo{Type: typ, Pointer: string(b.ptr)}
	}
	b.emit(id, PredType, typ, Literal, ClassCategory)
	b.members(id, "", obj)
}

// members emits the facts of obj's members about subject, their predicates
// prefixed with path (empty for the entity's own members).
func (b *builder) members(subject, path string, obj node) {
	for _, m := range b.t.kids(obj) {
		mark := b.enter(m.key)
		switch {
		case path == "" && m.key == "id":
			// The subject itself.
		case path == "" && m.key == "status" && m.kind == kindArray:
			b.statuses(subject, m)
		case m.key == "characteristic" && m.kind == kindArray:
			b.characteristics(subject, path, b.pred(path, m.key), m, m)
		default:
			b.value(subject, b.pred(path, m.key), m.key, m)
		}
		b.leave(mark)
	}
}

// value emits the facts of one member value named key, under predicate pred.
func (b *builder) value(subject, pred, key string, v node) {
	switch v.kind {
	case kindNull:
	case kindArray:
		for i, e := range b.t.kids(v) {
			mark := b.enterIndex(i)
			b.value(subject, pred, key, e)
			b.leave(mark)
		}
	case kindObject:
		b.object(subject, pred, key, v)
	case kindString:
		if isReferenceField(key) {
			b.reference(subject, pred, v.text)
			return
		}
		if IsSentinelDate(v.text) {
			return
		}
		fallthrough
	default:
		b.emit(subject, pred, v.text, Literal, classify(pred, key, v))
	}
}

func (b *builder) object(subject, pred, key string, obj node) {
	if isReferenceObject(key) {
		b.referenceObject(subject, pred, obj)
		return
	}
	if id, ok := b.t.str(obj, "id"); ok && !isCatalogObject(key) {
		b.emit(subject, pred, id, Entity, ClassEdge)
		b.entity(id, entityType(key), obj)
		return
	}
	if start, end, ok := b.period(obj); ok {
		if text, ok := interval(start, end); ok {
			b.emit(subject, pred, text, Literal, ClassValue)
		}
		return
	}
	b.members(subject, pred, obj)
}

// referenceObject emits an {id, externalId} reference: an edge to the id,
// and the other members as literals.
func (b *builder) referenceObject(subject, pred string, obj node) {
	for _, m := range b.t.kids(obj) {
		mark := b.enter(m.key)
		if m.key == "id" && m.kind == kindString {
			b.reference(subject, pred, m.text)
		} else {
			b.value(subject, b.pred(pred, m.key), m.key, m)
		}
		b.leave(mark)
	}
}

func (b *builder) reference(subject, pred, id string) {
	b.refs = append(b.refs, len(b.g.Triples))
	b.emit(subject, pred, id, Entity, ClassEdge)
}

// resolveReferences marks the references to ids the record does not define,
// once all entities are known, and adds a dangling fact for each.
func (b *builder) resolveReferences() {
	for _, i := range b.refs {
		t := &b.g.Triples[i]
		if _, ok := b.g.Entities[t.Object]; ok {
			continue
		}
		t.Class = ClassDangling
		b.g.Triples = append(b.g.Triples, Triple{
			Subject: t.Subject, Predicate: PredDangling, Object: t.Object,
			ObjectKind: Literal, Class: ClassDangling,
		})
		b.ptrs = append(b.ptrs, b.pointer(i)...)
		b.ends = append(b.ends, len(b.ptrs))
	}
}

// period returns the dates of an object made only of startDateTime and
// endDateTime strings.
func (b *builder) period(obj node) (start, end string, ok bool) {
	if obj.count == 0 {
		return "", "", false
	}
	for _, m := range b.t.kids(obj) {
		switch {
		case m.kind != kindString:
			return "", "", false
		case m.key == "startDateTime":
			start = m.text
		case m.key == "endDateTime":
			end = m.text
		default:
			return "", "", false
		}
	}
	return start, end, true
}

// pred returns path.key, built once per build for each pair.
func (b *builder) pred(path, key string) string {
	if path == "" {
		return key
	}
	k := [2]string{path, key}
	p, ok := b.preds[k]
	if !ok {
		p = path + "." + key
		b.preds[k] = p
	}
	return p
}

func (b *builder) emit(subject, pred, object string, kind ObjectKind, class Class) {
	b.g.Triples = append(b.g.Triples, Triple{
		Subject: subject, Predicate: pred, Object: object, ObjectKind: kind, Class: class,
	})
	b.ptrs = append(b.ptrs, b.ptr...)
	b.ends = append(b.ends, len(b.ptrs))
}

// pointer returns triple i's pointer before setPointers has run.
func (b *builder) pointer(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.ptrs[start:b.ends[i]]
}

func (b *builder) setPointers() {
	all := string(b.ptrs)
	start := 0
	for i, end := range b.ends {
		b.g.Triples[i].Pointer = all[start:end]
		start = end
	}
}

// enter descends into member key, escaping it as RFC 6901 requires, and
// returns the mark to leave by.
func (b *builder) enter(key string) int {
	mark := len(b.ptr)
	b.ptr = append(b.ptr, '/')
	if strings.IndexByte(key, '~') >= 0 || strings.IndexByte(key, '/') >= 0 {
		key = strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
	}
	b.ptr = append(b.ptr, key...)
	return mark
}

func (b *builder) enterIndex(i int) int {
	mark := len(b.ptr)
	b.ptr = append(b.ptr, '/')
	b.ptr = strconv.AppendInt(b.ptr, int64(i), 10)
	return mark
}

func (b *builder) leave(mark int) { b.ptr = b.ptr[:mark] }
