package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"strconv"
	"strings"
)

// node is one value of a JSON document, in the document's own key order,
// for the record page's collapsible tree.
type node struct {
	Key     string
	Pointer string
	// Kind is object, array, string, number, bool or null.
	Kind     string
	Value    string
	Children []*node
	// Findings are the numbers (1-based) of the findings at this value;
	// Marked says a finding is at this value or below it, so it starts open.
	Findings []int
	Marked   bool
	Depth    int
}

// Leaf reports whether the node has no children to fold.
func (n *node) Leaf() bool { return n.Kind != "object" && n.Kind != "array" }

// Anchor is the id of the node's element, for links from findings.
func (n *node) Anchor() string { return pointerAnchor(n.Pointer) }

// Open says whether the node starts unfolded: the first two levels, and
// the way to every finding.
func (n *node) Open() bool { return n.Depth < 2 || n.Marked }

// Size is what a folded node says of itself.
func (n *node) Size() string {
	switch n.Kind {
	case "object":
		return count(len(n.Children), "key")
	case "array":
		return count(len(n.Children), "item")
	}
	return ""
}

// count is "1 key", "2 keys".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// pointerAnchor makes an HTML id of a JSON pointer.
func pointerAnchor(p string) string {
	var b strings.Builder
	writeAnchor(&b, p)
	return b.String()
}

// writeAnchor writes the id of a pointer: letters, digits, - and _ as
// they are, / as -, anything else as _hex_.
func writeAnchor(b *strings.Builder, p string) {
	if p == "" {
		b.WriteString("p-root")
		return
	}
	b.WriteByte('p')
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '/':
			b.WriteByte('-')
		default:
			b.WriteByte('_')
			b.WriteString(strconv.FormatInt(int64(r), 16))
			b.WriteByte('_')
		}
	}
}

// maxTreeNodes bounds the tree of one document; what is past it is cut
// and the raw document is a link away.
const maxTreeNodes = 20000

var errTreeTooLarge = errors.New("document too large for the tree")

// parseTree reads a JSON document into nodes, keeping key order.
func parseTree(doc []byte) (*node, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	count := 0
	root, err := readNode(dec, "", "", 0, &count)
	if errors.Is(err, errTreeTooLarge) {
		return root, true, nil
	}
	return root, false, err
}

func readNode(dec *json.Decoder, key, pointer string, depth int, count *int) (*node, error) {
	*count++
	if *count > maxTreeNodes {
		return nil, errTreeTooLarge
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	n := &node{Key: key, Pointer: pointer, Depth: depth}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.Kind = "object"
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return n, err
				}
				k, _ := kt.(string)
				child, err := readNode(dec, k, pointer+"/"+escapePointer(k), depth+1, count)
				if child != nil {
					n.Children = append(n.Children, child)
				}
				if err != nil {
					return n, err
				}
			}
		case '[':
			n.Kind = "array"
			for i := 0; dec.More(); i++ {
				k := strconv.Itoa(i)
				child, err := readNode(dec, k, pointer+"/"+k, depth+1, count)
				if child != nil {
					n.Children = append(n.Children, child)
				}
				if err != nil {
					return n, err
				}
			}
		}
		if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
			return n, err
		}
	case string:
		n.Kind, n.Value = "string", strconv.Quote(t)
	case json.Number:
		n.Kind, n.Value = "number", t.String()
	case bool:
		n.Kind, n.Value = "bool", strconv.FormatBool(t)
	case nil:
		n.Kind, n.Value = "null", "null"
	}
	return n, nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// mark attaches finding number i to the node at pointer (or the nearest
// value above it that exists) and opens the way to it.
func (n *node) mark(pointer string, i int) {
	cur := n
	cur.Marked = true
	if pointer != "" {
		for part := range strings.SplitSeq(strings.TrimPrefix(pointer, "/"), "/") {
			var next *node
			for _, ch := range cur.Children {
				if escapePointer(ch.Key) == part {
					next = ch
					break
				}
			}
			if next == nil {
				break
			}
			cur = next
			cur.Marked = true
		}
	}
	for _, f := range cur.Findings {
		if f == i {
			return
		}
	}
	cur.Findings = append(cur.Findings, i)
}

// flatten lists the leaves (and empty containers) of a document by pointer,
// in document order, for a diff between versions.
func flatten(n *node, out *[]leaf) {
	if n == nil {
		return
	}
	if n.Leaf() || len(n.Children) == 0 {
		v := n.Value
		if !n.Leaf() {
			v = map[string]string{"object": "{}", "array": "[]"}[n.Kind]
		}
		*out = append(*out, leaf{Pointer: n.Pointer, Value: v})
		return
	}
	for _, ch := range n.Children {
		flatten(ch, out)
	}
}

type leaf struct{ Pointer, Value string }

// change is one difference between two versions of a document.
type change struct {
	Pointer  string
	Op       string // added, removed, changed
	Old, New string
}

// diffDocuments compares two documents value by value, by JSON pointer.
func diffDocuments(oldDoc, newDoc *node) []change {
	var before, after []leaf
	flatten(oldDoc, &before)
	flatten(newDoc, &after)
	old := make(map[string]string, len(before))
	for _, l := range before {
		old[l.Pointer] = l.Value
	}
	seen := make(map[string]bool, len(after))
	var changes []change
	for _, l := range after {
		seen[l.Pointer] = true
		prev, ok := old[l.Pointer]
		switch {
		case !ok:
			changes = append(changes, change{Pointer: l.Pointer, Op: "added", New: l.Value})
		case prev != l.Value:
			changes = append(changes, change{Pointer: l.Pointer, Op: "changed", Old: prev, New: l.Value})
		}
	}
	for _, l := range before {
		if !seen[l.Pointer] {
			changes = append(changes, change{Pointer: l.Pointer, Op: "removed", Old: l.Value})
		}
	}
	return changes
}

// HTML renders the tree as nested <details>, the way the record page shows
// it. It is written by hand rather than by a recursive template: a 90 KB
// record has thousands of values, and html/template's reflection costs ten
// times the parse.
func (n *node) HTML() template.HTML {
	var b strings.Builder
	b.Grow(16 << 10)
	n.write(&b)
	return template.HTML(b.String()) // #nosec G203 -- every text in it is escaped by write
}

func (n *node) write(b *strings.Builder) {
	refs := func() {
		for _, f := range n.Findings {
			i := strconv.Itoa(f)
			b.WriteString(` <a class="fref" href="#f` + i + `" title="finding ` + i + `">` + i + `</a>`)
		}
	}
	if n.Leaf() {
		b.WriteString(`<div class="leaf`)
		if len(n.Findings) > 0 {
			b.WriteString(` marked`)
		}
		b.WriteString(`" id="`)
		writeAnchor(b, n.Pointer)
		b.WriteString(`"><span class="key">`)
		template.HTMLEscape(b, []byte(n.Key))
		b.WriteString(`</span> <span class="v-`)
		b.WriteString(n.Kind)
		b.WriteString(`">`)
		template.HTMLEscape(b, []byte(n.Value))
		b.WriteString(`</span>`)
		refs()
		b.WriteString("</div>")
		return
	}
	b.WriteString(`<details`)
	if n.Open() {
		b.WriteString(` open`)
	}
	if len(n.Findings) > 0 {
		b.WriteString(` class="marked"`)
	}
	b.WriteString(` id="`)
	writeAnchor(b, n.Pointer)
	b.WriteString(`"><summary><span class="key">`)
	key := n.Key
	if n.Pointer == "" {
		key = "record"
	}
	template.HTMLEscape(b, []byte(key))
	b.WriteString(`</span> <span class="muted">`)
	if n.Kind == "object" {
		b.WriteString("{…} ")
	} else {
		b.WriteString("[…] ")
	}
	b.WriteString(n.Size())
	b.WriteString(`</span>`)
	refs()
	b.WriteString(`</summary><div class="kids">`)
	for _, ch := range n.Children {
		ch.write(b)
	}
	b.WriteString(`</div></details>`)
}
