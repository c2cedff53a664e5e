package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/invopop/jsonschema"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/validation"
)

// openAPI builds the OpenAPI 3.1 document of the routes. It is derived from
// the same route table that registers the handlers, so it cannot drift from
// them; its schemas are reflected from the Go types the handlers encode (with
// invopop/jsonschema, which follows encoding/json's rules for embedded
// structs and omitempty), and a test validates every response the API tests
// record against them.
func openAPI(routes []route, build config.BuildInfo) (map[string]any, error) {
	b := newSchemaBuilder()
	paths := map[string]map[string]any{}
	for _, r := range routes {
		op, err := b.operation(r)
		if err != nil {
			return nil, fmt.Errorf("docs: %s %s: %w", r.Method, r.Path, err)
		}
		path := toOpenAPIPath(r.Path)
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = op
	}
	b.schemas["Error"] = errorSchema()
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "PFF API",
			"version": build.Version,
			"description": "Production Fix Flow finds and fixes broken customer records. Every API route is under /api/v1. " +
				"Authenticate with `Authorization: Bearer <access token>` (from /api/v1/auth/login) or with an API key " +
				"(`X-API-Key: <key>`). Errors are `{\"error\":{\"code\",\"message\",\"request_id\",\"details\"}}`; " +
				"lists are `{\"items\":[...],\"next_cursor\":...}`, paged with `cursor` and `limit`.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
			"schemas": b.schemas,
		},
	}, nil
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func toOpenAPIPath(path string) string { return echoParam.ReplaceAllString(path, "{$1}") }

const mediaJSON = "application/json"

func (b *schemaBuilder) operation(r route) (map[string]any, error) {
	op := map[string]any{
		"summary":     r.Summary,
		"operationId": operationID(r),
		"tags":        []string{r.Tag},
	}
	var params []map[string]any
	pathParams := echoParam.FindAllStringSubmatch(r.Path, -1)
	for _, m := range pathParams {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
			"schema": map[string]any{"type": "string"}, "example": pathExample(m[1])})
	}
	for _, q := range r.Query {
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if r.Request != nil {
		content, err := b.content(r.Request, r.RequestType)
		if err != nil {
			return nil, fmt.Errorf("request: %w", err)
		}
		op["requestBody"] = map[string]any{"required": true, "content": content}
	}
	success := map[string]any{"description": http.StatusText(r.status())}
	if r.Response != nil {
		content, err := b.content(r.Response, r.ResponseType)
		if err != nil {
			return nil, fmt.Errorf("response: %w", err)
		}
		success["content"] = content
	}
	responses := map[string]any{strconv.Itoa(r.status()): success}
	if r.AlsoStatus != 0 {
		also := maps.Clone(success)
		also["description"] = http.StatusText(r.AlsoStatus)
		responses[strconv.Itoa(r.AlsoStatus)] = also
	}
	errorResponse := func(code int, description string) {
		responses[strconv.Itoa(code)] = map[string]any{"description": description, "content": map[string]any{
			mediaJSON: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	if r.Request != nil || r.Query != nil || pathParams != nil {
		errorResponse(http.StatusBadRequest, "the request is invalid; details name each problem")
	}
	if !r.Public {
		op["security"] = []map[string]any{{"bearer": []string{}}, {"apiKey": []string{}}}
		op["x-required-role"] = r.Role.String()
		errorResponse(http.StatusUnauthorized, "missing or invalid credentials")
		errorResponse(http.StatusForbidden, "the caller's role may not do this")
	}
	if pathParams != nil {
		errorResponse(http.StatusNotFound, "nothing by that name")
	}
	if r.group() != groupNone {
		errorResponse(http.StatusTooManyRequests, "over the rate limit; see Retry-After")
	}
	responses["default"] = map[string]any{"description": "any other error", "content": map[string]any{
		mediaJSON: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	op["responses"] = responses
	return op, nil
}

// content is the media type object of a body: its schema and example.
func (b *schemaBuilder) content(example any, mediaType string) (map[string]any, error) {
	if mediaType == "" {
		mediaType = mediaJSON
	}
	schema := map[string]any{"type": "string"}
	if mediaType == mediaJSON || mediaType == "text/event-stream" {
		var err error
		if schema, err = b.schemaOf(reflect.TypeOf(example)); err != nil {
			return nil, err
		}
	}
	return map[string]any{mediaType: map[string]any{"schema": schema, "example": example}}, nil
}

// pathExample is the value an example request puts in a path parameter.
func pathExample(name string) string {
	switch name {
	case "version":
		return "20261206-0001"
	case "id":
		return "42"
	}
	return "example"
}

func operationID(r route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(r.Method))
	for _, part := range strings.FieldsFunc(r.Path, func(c rune) bool { return c == '/' || c == '-' || c == '.' || c == ':' }) {
		if part == "api" || part == "v1" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func errorSchema() map[string]any {
	return map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
		"error": map[string]any{"type": "object", "required": []string{"code", "message", "request_id"}, "properties": map[string]any{
			"code":       map[string]any{"type": "string", "description": "snake_case error code"},
			"message":    map[string]any{"type": "string"},
			"request_id": map[string]any{"type": "string"},
			"details":    map[string]any{"description": "for validation_failed, a list of {field, problem}"},
		}},
	}}
}

// schemaBuilder reflects Go types into JSON Schemas that share one set of
// named definitions, the document's components.
type schemaBuilder struct {
	reflector *jsonschema.Reflector
	schemas   map[string]any
}

func newSchemaBuilder() *schemaBuilder {
	return &schemaBuilder{
		reflector: &jsonschema.Reflector{Anonymous: true, AllowAdditionalProperties: true, Namer: schemaName, Mapper: customSchema},
		schemas:   map[string]any{},
	}
}

// customSchema is the schema of the types whose JSON is not what reflection
// sees, or nil.
func customSchema(t reflect.Type) *jsonschema.Schema {
	if t == reflect.TypeFor[validation.Bindings]() {
		return &jsonschema.Schema{Type: "object", AdditionalProperties: &jsonschema.Schema{Type: "string"}}
	}
	return nil
}

// schemaName names a type's definition after its package and type, so that
// store.Report and validation.Report stay apart: StoreReport,
// ValidationReport; a generic page[store.User] becomes PageStoreUser. The
// API's own types go by their name.
func schemaName(t reflect.Type) string {
	name := t.Name()
	base, arg, generic := strings.Cut(name, "[")
	pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	prefix := ""
	if pkg != "httpapi" {
		prefix = pkg
	}
	out := capitalize(prefix) + capitalize(base)
	if generic {
		arg = strings.TrimSuffix(arg, "]")
		arg = arg[strings.LastIndex(arg, "/")+1:]
		for _, part := range strings.Split(arg, ".") {
			out += capitalize(part)
		}
	}
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// schemaOf is the schema of t, its named parts added to the components.
func (b *schemaBuilder) schemaOf(t reflect.Type) (map[string]any, error) {
	s := b.reflector.ReflectFromType(t)
	defs := s.Definitions
	s.Definitions = nil
	s.Version = ""
	root, err := asComponentMap(s)
	if err != nil {
		return nil, err
	}
	for name, def := range defs {
		m, err := asComponentMap(def)
		if err != nil {
			return nil, err
		}
		b.schemas[name] = m
	}
	b.allowNull(t, map[reflect.Type]bool{})
	return root, nil
}

// asComponentMap turns a schema into plain maps, its references pointing
// into the document's components.
func asComponentMap(s *jsonschema.Schema) (map[string]any, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	data = []byte(strings.ReplaceAll(string(data), `"#/$defs/`, `"#/components/schemas/`))
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// allowNull lets the properties that encoding/json may write as null be
// null: fields of pointer, slice, map and interface types (a nil slice is
// null, not []). The reflector says only what the values are when present.
func (b *schemaBuilder) allowNull(t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	def, ok := b.schemas[schemaName(t)].(map[string]any)
	if !ok {
		return
	}
	props, _ := def["properties"].(map[string]any)
	for _, f := range jsonFields(t) {
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			if p, ok := props[f.name]; ok && f.Type != reflect.TypeOf(json.RawMessage{}) {
				props[f.name] = map[string]any{"anyOf": []any{p, map[string]any{"type": "null"}}}
			}
		}
		b.allowNull(f.Type, seen)
	}
}

type jsonField struct {
	reflect.StructField
	name string
}

// jsonFields lists the fields encoding/json writes for a struct, with those
// of embedded structs in line.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, jsonFields(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{f, name})
	}
	return out
}
