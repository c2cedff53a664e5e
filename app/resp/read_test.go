package resp

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func parse(s string) (Value, error) {
	return readReply(bufio.NewReader(strings.NewReader(s)))
}

func TestReadReply(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100_000)
	tests := map[string]struct {
		in   string
		want Value
	}{
		"simple string":     {"+OK\r\n", Value{kind: kindSimple, str: "OK"}},
		"empty simple":      {"+\r\n", Value{kind: kindSimple}},
		"integer":           {":42\r\n", Value{kind: kindInt, n: 42}},
		"negative integer":  {":-7\r\n", Value{kind: kindInt, n: -7}},
		"min int64":         {":-9223372036854775808\r\n", Value{kind: kindInt, n: -1 << 63}},
		"max int64":         {":9223372036854775807\r\n", Value{kind: kindInt, n: 1<<63 - 1}},
		"bulk string":       {"$5\r\nhe\r\no\r\n", Value{kind: kindBulk, str: "he\r\no"}},
		"empty bulk":        {"$0\r\n\r\n", Value{kind: kindBulk}},
		"long bulk":         {"$100000\r\n" + long + "\r\n", Value{kind: kindBulk, str: long}},
		"null bulk":         {"$-1\r\n", Value{}},
		"null array":        {"*-1\r\n", Value{}},
		"empty array":       {"*0\r\n", Value{kind: kindArray, elems: []Value{}}},
		"long simple":       {"+" + long[:5000] + "\r\n", Value{kind: kindSimple, str: long[:5000]}},
		"nested with error": {"*2\r\n*1\r\n:1\r\n-ERR inner\r\n", Value{kind: kindArray, elems: []Value{{kind: kindArray, elems: []Value{{kind: kindInt, n: 1}}}, {kind: kindError, str: "ERR inner"}}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestReadReplyServerError(t *testing.T) {
	t.Parallel()
	_, err := parse("-NOSCRIPT No matching script.\r\n")
	var serverErr *Error
	require.ErrorAs(t, err, &serverErr)
	require.Equal(t, "NOSCRIPT No matching script.", serverErr.Message)
}

func TestReadReplyRejectsMalformed(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		want error
	}{
		"unknown type":         {"!3\r\n", errProtocol},
		"LF only":              {"+OK\n", errProtocol},
		"empty line":           {"\r\n", errProtocol},
		"integer with junk":    {":12a\r\n", errProtocol},
		"integer overflow":     {":9223372036854775808\r\n", errProtocol},
		"integer too long":     {":00000000000000000001\r\n", errProtocol},
		"bare minus":           {":-\r\n", errProtocol},
		"plus sign":            {":+1\r\n", errProtocol},
		"bulk below -1":        {"$-2\r\n", errProtocol},
		"bulk over 512 MiB":    {"$" + strconv.Itoa(maxBulkLen+1) + "\r\n", errProtocol},
		"bulk without CRLF":    {"$2\r\nabcd", errProtocol},
		"array over 1M":        {"*" + strconv.Itoa(maxArrayLen+1) + "\r\n", errProtocol},
		"nested too deep":      {strings.Repeat("*1\r\n", maxDepth+1) + ":1\r\n", errProtocol},
		"line too long":        {"+" + strings.Repeat("x", maxLineLen+1) + "\r\n", errProtocol},
		"empty input":          {"", io.EOF},
		"cut line":             {"+OK", io.ErrUnexpectedEOF},
		"cut bulk":             {"$10\r\nabc", io.ErrUnexpectedEOF},
		"cut bulk CRLF":        {"$3\r\nabc", io.ErrUnexpectedEOF},
		"cut array":            {"*3\r\n:1\r\n", io.ErrUnexpectedEOF},
		"huge bulk, few bytes": {"$536870912\r\nab", io.ErrUnexpectedEOF},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(tt.in)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestValueAccessors(t *testing.T) {
	t.Parallel()
	v, err := parse("*2\r\n:1\r\n:-250\r\n")
	require.NoError(t, err)
	ns, err := v.Int64s()
	require.NoError(t, err)
	require.Equal(t, []int64{1, -250}, ns)
	_, err = v.Text()
	require.ErrorContains(t, err, "reply is array, not a string")

	v, err = parse("*2\r\n:1\r\n$1\r\n2\r\n")
	require.NoError(t, err)
	_, err = v.Int64s()
	require.ErrorContains(t, err, "element 1: resp: reply is bulk string, not an integer")

	v, err = parse("*1\r\n-ERR boom\r\n")
	require.NoError(t, err)
	_, err = v.Int64s()
	var serverErr *Error
	require.ErrorAs(t, err, &serverErr, "an error element is the server's error")
	require.Equal(t, "ERR boom", serverErr.Message)

	v, err = parse("$-1\r\n")
	require.NoError(t, err)
	require.True(t, v.IsNull())
	_, err = v.Int64()
	require.ErrorContains(t, err, "reply is null, not an integer")
}

// appendValue encodes v as the server would, to check that what the
// reader accepts survives a round trip.
func appendValue(buf []byte, v Value) []byte {
	switch v.kind {
	case kindNull:
		return append(buf, "$-1\r\n"...)
	case kindSimple:
		return append(append(append(buf, '+'), v.str...), "\r\n"...)
	case kindError:
		return append(append(append(buf, '-'), v.str...), "\r\n"...)
	case kindInt:
		return append(strconv.AppendInt(append(buf, ':'), v.n, 10), "\r\n"...)
	case kindBulk:
		return appendBulk(buf, v.str)
	}
	buf = append(strconv.AppendInt(append(buf, '*'), int64(len(v.elems)), 10), "\r\n"...)
	for _, e := range v.elems {
		buf = appendValue(buf, e)
	}
	return buf
}

func FuzzReadReply(f *testing.F) {
	for _, seed := range []string{
		"+OK\r\n", "-ERR x\r\n", ":-12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n*1\r\n:1\r\n-NOSCRIPT\r\n", "$536870912\r\n", "*1048576\r\n", "*1\r\n*1\r\n*1\r\n$0\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(strings.NewReader(string(data)))
		v, err := readValue(r, 0)
		if err != nil {
			require.True(t, errors.Is(err, errProtocol) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF), "unexpected error %v", err)
			return
		}
		again, err := readValue(bufio.NewReader(strings.NewReader(string(appendValue(nil, v)))), 0)
		require.NoError(t, err)
		require.Equal(t, v, again)
	})
}
