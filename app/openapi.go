package app

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// openAPI builds the OpenAPI 3.1 document of the routes. It is derived from
// the same route table that registers the handlers, so it cannot drift from
// them; a test checks it against echo's registered routes as well.
func openAPI(routes []route, build BuildInfo) map[string]any {
	paths := map[string]map[string]any{}
	for _, r := range routes {
		path := toOpenAPIPath(r.Path)
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = operation(r)
	}
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
			"schemas": map[string]any{"Error": errorSchema()},
		},
	}
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func toOpenAPIPath(path string) string { return echoParam.ReplaceAllString(path, "{$1}") }

func operation(r route) map[string]any {
	op := map[string]any{
		"summary":     r.Summary,
		"operationId": operationID(r),
		"tags":        []string{r.Tag},
	}
	var params []map[string]any
	for _, m := range echoParam.FindAllStringSubmatch(r.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range r.Query {
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if r.Request != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.Request))}}}
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	success := map[string]any{"description": http.StatusText(status)}
	if r.Response != nil {
		success["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.Response))}}
	}
	responses := map[string]any{strconv.Itoa(status): success}
	errorResponse := func(code int) {
		responses[strconv.Itoa(code)] = map[string]any{"description": http.StatusText(code), "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	if r.Request != nil || r.Query != nil {
		errorResponse(http.StatusBadRequest)
	}
	if !r.Public {
		op["security"] = []map[string]any{{"bearer": []string{}}, {"apiKey": []string{}}}
		op["x-required-role"] = r.Role.String()
		errorResponse(http.StatusUnauthorized)
		errorResponse(http.StatusForbidden)
	}
	if r.group() != groupNone {
		errorResponse(http.StatusTooManyRequests)
	}
	op["responses"] = responses
	return op
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

var (
	timeType   = reflect.TypeOf(time.Time{})
	rawMessage = reflect.TypeOf(json.RawMessage{})
)

// schemaOf is the JSON Schema of a Go type as encoding/json writes it.
func schemaOf(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawMessage:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := schemaOf(t.Elem())
		if typ, ok := s["type"].(string); ok {
			s["type"] = []string{typ, "null"}
		}
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type)
		}
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}
