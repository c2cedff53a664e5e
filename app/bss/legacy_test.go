package bss

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestLegacyFlowsResolve checks that every BSS call of the operations
// team's flows (testdata/legacy-sample.yaml, a copy) resolves as written,
// with its Jinja placeholders standing for sample values.
func TestLegacyFlowsResolve(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/legacy-sample.yaml")
	require.NoError(t, err)
	var flows map[string][]struct {
		Method string         `yaml:"method"`
		Args   map[string]any `yaml:"args"`
	}
	require.NoError(t, yaml.Unmarshal(b, &flows))
	cat := testCatalogue(t)
	// The flow interpreter's own methods, not BSS operations.
	localMethods := map[string]bool{
		"line.get_contract": true, "line.get_product": true, "line.save_object": true,
		"line.set_observation": true, "search_in_dict": true, "validator.validate": true,
	}
	jinja := regexp.MustCompile(`\{\{\s*msisdn\s*\}\}`)
	anyJinja := regexp.MustCompile(`\{\{`)
	calls := 0
	for name, steps := range flows {
		for i, step := range steps {
			if step.Method == "" || localMethods[step.Method] {
				continue
			}
			args := map[string]any{}
			for k, v := range step.Args {
				if s, ok := v.(string); ok {
					// The interpreter renders these; any id will do here.
					v = jinja.ReplaceAllString(s, "15471723980")
					if v == s && anyJinja.MatchString(s) {
						v = "ID-" + k
					}
				}
				args[k] = v
			}
			req, err := cat.Resolve(step.Method, args)
			require.NoError(t, err, "flow %s step %d", name, i)
			require.NotEmpty(t, req.Path)
			calls++
		}
	}
	require.Equal(t, 10, calls)
}
