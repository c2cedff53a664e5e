package bss

import (
	"encoding/json"
	"testing"
)

// FuzzLoadCatalogue feeds the loader arbitrary files: it may refuse them,
// never panic.
func FuzzLoadCatalogue(f *testing.F) {
	f.Add(builtinCatalogue)
	f.Add([]byte(variantYAML("effect: read\n        query: {q: \"{a|e164}\"}")))
	f.Add([]byte("methods:\n  line.x:\n    variants:\n      - id: a\n        requires: [k]\n        system: bias\n        method: POST\n        path: x/{k}\n        body: {a: [\"{k}\", 1, {b: \"{{}}\"}]}\n        effect: write\n        verify: {method: line.read_contract, args: {customer_id: \"{k}\"}, expr: 'found && match(result, {a: 1})'}\n"))
	f.Add([]byte("methods:\n  line.read_contract: {remove: true}\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, err := LoadCatalogue(data)
		if err != nil {
			return
		}
		// Whatever loads must resolve its methods without panicking.
		for _, m := range cat.Methods() {
			args := map[string]any{}
			for _, p := range m.Params {
				args[p] = "15471723980"
			}
			_, _ = cat.Resolve(m.Name, args)
		}
	})
}

// FuzzTemplate renders arbitrary templates over arbitrary args.
func FuzzTemplate(f *testing.F) {
	f.Add("{msisdn|e164}", `{"msisdn":"15471723980"}`)
	f.Add("a{{b}}c{d.e}", `{"d":{"e":[1,2]}}`)
	f.Add("{x}", `{"x":1e400}`)
	f.Add("}{", `{}`)
	f.Fuzz(func(t *testing.T, tmpl, argsJSON string) {
		tm, err := parseTemplate(tmpl)
		if err != nil {
			return
		}
		var args map[string]any
		if json.Unmarshal([]byte(argsJSON), &args) != nil {
			return
		}
		_, _, _ = tm.value(args)
		_, _, _ = tm.render(args, escapeSegment)
		body, err := compileValue(map[string]any{"k": []any{tmpl}}, 0)
		if err == nil {
			_, _, _ = body.render(args)
		}
	})
}
