package knowledge

import (
	"bytes"
	"fmt"
	"slices"
)

// Kind is a kind of knowledge.
type Kind string

// The kinds, as the store and the API name them.
const (
	KindSchema Kind = "schema"
	KindRules  Kind = "rules"
	KindChecks Kind = "checks"
	// KindConstraints are constraint sets (package constraints), learned
	// from the corpus or written by hand.
	KindConstraints Kind = "constraints"
	// KindFlows are fix-flow files and KindOperations overlays of the BSS
	// operation catalogue: versioned like the rest, but not validation's.
	KindFlows      Kind = "flows"
	KindOperations Kind = "operations"
)

// Kinds returns every kind that validation uses.
func Kinds() []Kind { return []Kind{KindSchema, KindRules, KindChecks, KindConstraints} }

// judges reports whether validation uses a kind.
func (k Kind) judges() bool { return slices.Contains(Kinds(), k) }

// HasDefaults reports whether PFF embeds defaults of a kind, which a
// version adds to or replaces (see Mode).
func (k Kind) HasDefaults() bool { return k == KindRules || k == KindChecks }

// Mode is what a version of a kind with defaults does with them.
type Mode string

// The modes. A rule or check set adds to the embedded defaults unless it
// says it replaces them: the same meaning offline (pff validate --rules
// adds, --no-defaults replaces) and on the server.
const (
	ModeAdd     Mode = "add"
	ModeReplace Mode = "replace"
)

// Format is how a document of knowledge is written.
type Format string

// The formats: JSON Schemas and the original system's rules are JSON,
// AnyBURL's rules TSV, checks YAML.
const (
	FormatJSON Format = "json"
	FormatTSV  Format = "tsv"
	FormatYAML Format = "yaml"
)

// Formats returns the formats a kind is written in, the usual one first.
func (k Kind) Formats() []Format {
	switch k {
	case KindSchema, KindConstraints:
		return []Format{FormatJSON}
	case KindRules:
		return []Format{FormatJSON, FormatTSV}
	case KindChecks, KindFlows, KindOperations:
		return []Format{FormatYAML}
	}
	return nil
}

// ResolveFormat checks that the kind is written in format, or, when format
// is empty, guesses it from the content: rules starting with "{" are JSON,
// other rules AnyBURL's TSV.
func (k Kind) ResolveFormat(format Format, content []byte) (Format, error) {
	formats := k.Formats()
	switch {
	case formats == nil:
		return "", fmt.Errorf("knowledge: unknown kind %q", k)
	case format == "" && k == KindRules && !bytes.HasPrefix(bytes.TrimSpace(content), []byte("{")):
		return FormatTSV, nil
	case format == "":
		return formats[0], nil
	case !slices.Contains(formats, format):
		return "", fmt.Errorf("knowledge: %s are not written in %q (want one of %v)", k, format, formats)
	}
	return format, nil
}

// Noun names the kind in messages.
func (k Kind) Noun() string {
	switch k {
	case KindSchema:
		return "JSON Schema"
	case KindRules:
		return "Horn rule set"
	case KindChecks:
		return "check set"
	case KindConstraints:
		return "constraint set"
	case KindFlows:
		return "flow file"
	case KindOperations:
		return "operation catalogue"
	}
	return string(k)
}
