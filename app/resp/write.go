package resp

import (
	"fmt"
	"strconv"
)

// appendCommand appends args as a RESP2 command, an array of bulk
// strings, to buf. Arguments may be strings, byte slices, ints or int64s;
// anything else is an error rather than a guess at formatting.
func appendCommand(buf []byte, args []any) ([]byte, error) {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(len(args)), 10)
	buf = append(buf, '\r', '\n')
	var num [20]byte
	for i, arg := range args {
		var s []byte
		switch a := arg.(type) {
		case string:
			buf = appendBulk(buf, a)
			continue
		case []byte:
			s = a
		case int:
			s = strconv.AppendInt(num[:0], int64(a), 10)
		case int64:
			s = strconv.AppendInt(num[:0], a, 10)
		default:
			return buf, fmt.Errorf("argument %d has unsupported type %T", i, arg)
		}
		buf = appendBulk(buf, s)
	}
	return buf, nil
}

func appendBulk[S string | []byte](buf []byte, s S) []byte {
	buf = append(buf, '$')
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, '\r', '\n')
	buf = append(buf, s...)
	return append(buf, '\r', '\n')
}
