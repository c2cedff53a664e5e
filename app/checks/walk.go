package checks

import (
	"strconv"
	"strings"
)

// target is one object a check looks at.
type target struct {
	obj, parent, parentEntity map[string]any
	pointer                   string
}

// collect finds the record's objects of the given kinds, in one walk.
func collect(root map[string]any, kinds []string) map[string][]target {
	w := walker{want: map[string]bool{}, found: map[string][]target{}}
	for _, k := range kinds {
		w.want[k] = true
	}
	w.object(root, TargetRecord, nil, nil)
	return w.found
}

type walker struct {
	want  map[string]bool
	found map[string][]target
	ptr   []byte // pointer of the value being walked
}

func (w *walker) object(obj map[string]any, kind string, parent, parentEntity map[string]any) {
	_, isEntity := obj["id"]
	if w.want[kind] || isEntity && w.want[TargetEntity] {
		t := target{obj: obj, parent: parent, parentEntity: parentEntity, pointer: string(w.ptr)}
		if w.want[kind] {
			w.found[kind] = append(w.found[kind], t)
		}
		if isEntity && w.want[TargetEntity] {
			w.found[TargetEntity] = append(w.found[TargetEntity], t)
		}
	}
	inner := parentEntity
	if isEntity {
		inner = obj
	}
	for key, v := range obj {
		mark := len(w.ptr)
		w.ptr = append(append(w.ptr, '/'), escape(key)...)
		w.value(v, key, obj, inner)
		w.ptr = w.ptr[:mark]
	}
}

// value walks a member named key of parent; array elements keep the key.
func (w *walker) value(v any, key string, parent, parentEntity map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		w.object(v, key, parent, parentEntity)
	case []any:
		for i, e := range v {
			mark := len(w.ptr)
			w.ptr = strconv.AppendInt(append(w.ptr, '/'), int64(i), 10)
			w.value(e, key, parent, parentEntity)
			w.ptr = w.ptr[:mark]
		}
	}
}

// escape writes a key as an RFC 6901 reference token.
func escape(key string) string {
	if !strings.ContainsAny(key, "~/") {
		return key
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}
