package schema

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/problem"
)

func TestInferRecords(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{"NDJSON": "{\"id\": \"a\"}\n{\"id\": \"b\", \"n\": 1}\n", "array": `[{"id": "a"}, {"id": "b", "n": 1}]`} {
		s, err := InferRecords(context.Background(), strings.NewReader(body), InferOptions{})
		require.NoError(t, err, name)
		require.Nil(t, s["required"], "two records are no evidence that a member is required")
		s, err = InferRecords(context.Background(), strings.NewReader(body), InferOptions{RequiredMinSamples: 2})
		require.NoError(t, err, name)
		require.Equal(t, []any{"id"}, toAny(s["required"]), name)
	}
	for body, code := range map[string]string{"": "no_records", "[]": "no_records", "[1]": "invalid_record", "{\"id\": x}": "invalid_json", "[{}": "invalid_json"} {
		_, err := InferRecords(context.Background(), strings.NewReader(body), InferOptions{})
		p, ok := problem.As(err)
		require.True(t, ok, body)
		require.Equal(t, code, p.Code, body)
	}
}

func toAny(v any) []any {
	switch v := v.(type) {
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out
	case []any:
		return v
	}
	return nil
}

func FuzzEachRecord(f *testing.F) {
	for _, seed := range []string{"{\"id\": 1}\n{\"id\": 2}\n", "[{\"a\": 1}, {\"b\": 2}]", "[", "[1,", "{\"id\": x}", "", " [ ] "} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		count := 0
		err := eachRecord(strings.NewReader(body), func(n int, doc any) error {
			count++
			require.Equal(t, count, n)
			return nil
		})
		if err != nil {
			require.True(t, problem.Is(err, problem.Invalid), "bad input is invalid, never internal: %v", err)
		}
	})
}
