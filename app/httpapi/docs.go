package httpapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/config"
)

//go:embed docs
var docsFiles embed.FS

// docsCSP allows the page its own stylesheet and nothing else: no scripts,
// no inline styles, no framing.
const docsCSP = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// apiDocs serves the OpenAPI document and a browsable reference rendered from
// it on the server, from files embedded in the binary: no CDN, no script.
type apiDocs struct {
	spec []byte
	page []byte
	css  []byte
}

func newAPIDocs(routes []route, build config.BuildInfo) (*apiDocs, error) {
	doc, err := openAPI(routes, build)
	if err != nil {
		return nil, err
	}
	spec, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("docs: encode OpenAPI document: %w", err)
	}
	page, err := renderDocs(routes, doc)
	if err != nil {
		return nil, err
	}
	css, err := docsFiles.ReadFile("docs/style.css")
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	return &apiDocs{spec: spec, page: page, css: css}, nil
}

func (d *apiDocs) routes() []route {
	return []route{
		{Method: http.MethodGet, Path: Prefix + "/openapi.json", Public: true, Group: groupNone, Tag: "documentation",
			Summary: "This API's OpenAPI 3.1 document", Response: map[string]any{"openapi": "3.1.0"}, Handler: d.openAPIJSON},
		{Method: http.MethodGet, Path: "/docs", Public: true, Group: groupNone, Tag: "documentation", ResponseType: "text/html",
			Summary: "Browsable API reference (HTML)", Response: "<!doctype html>...", Handler: d.reference},
		{Method: http.MethodGet, Path: "/docs/style.css", Public: true, Group: groupNone, Tag: "documentation", ResponseType: "text/css",
			Summary: "Stylesheet of the API reference", Response: "body{...}", Handler: d.stylesheet},
	}
}

func (d *apiDocs) openAPIJSON(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, d.spec)
}

func (d *apiDocs) reference(c echo.Context) error {
	c.Response().Header().Set("Content-Security-Policy", docsCSP)
	return c.HTMLBlob(http.StatusOK, d.page)
}

func (d *apiDocs) stylesheet(c echo.Context) error {
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", d.css)
}

type docsOperation struct {
	ID, Method, MethodClass, Path, Summary, Role string
	// Example is a curl command that calls the operation.
	Example   string
	Params    []docsParam
	Request   docsBody
	Responses []docsResponse
}

type docsParam struct{ Name, In, Description string }

// docsBody is a body's schema and example, indented.
type docsBody struct{ MediaType, Schema, Example string }

type docsResponse struct {
	Status string
	docsBody
}

type docsTag struct {
	Name       string
	Operations []docsOperation
}

func renderDocs(routes []route, doc map[string]any) ([]byte, error) {
	tmpl, err := template.ParseFS(docsFiles, "docs/index.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("docs: parse template: %w", err)
	}
	paths := doc["paths"].(map[string]map[string]any)
	var tags []docsTag
	for _, r := range routes {
		op := paths[toOpenAPIPath(r.Path)][strings.ToLower(r.Method)].(map[string]any)
		d := docsOperation{ID: op["operationId"].(string), Method: r.Method, MethodClass: strings.ToLower(r.Method),
			Path: toOpenAPIPath(r.Path), Summary: r.Summary, Example: curlExample(r)}
		if !r.Public {
			d.Role = r.Role.String()
		}
		if params, ok := op["parameters"].([]map[string]any); ok {
			for _, p := range params {
				desc, _ := p["description"].(string)
				d.Params = append(d.Params, docsParam{Name: p["name"].(string), In: p["in"].(string), Description: desc})
			}
		}
		if body, ok := op["requestBody"].(map[string]any); ok {
			d.Request = bodyOf(body["content"].(map[string]any))
		}
		responses := op["responses"].(map[string]any)
		statuses := make([]string, 0, len(responses))
		for status := range responses {
			statuses = append(statuses, status)
		}
		slices.Sort(statuses)
		for _, status := range statuses {
			if content, ok := responses[status].(map[string]any)["content"].(map[string]any); ok {
				d.Responses = append(d.Responses, docsResponse{Status: status, docsBody: bodyOf(content)})
			}
		}
		i := slices.IndexFunc(tags, func(t docsTag) bool { return t.Name == r.Tag })
		if i < 0 {
			tags = append(tags, docsTag{Name: r.Tag})
			i = len(tags) - 1
		}
		tags[i].Operations = append(tags[i].Operations, d)
	}
	info := doc["info"].(map[string]any)
	var out bytes.Buffer
	err = tmpl.Execute(&out, map[string]any{"Version": info["version"], "Description": info["description"], "Tags": tags})
	if err != nil {
		return nil, fmt.Errorf("docs: render: %w", err)
	}
	return out.Bytes(), nil
}

// bodyOf is the first media type of a content object, for the page.
func bodyOf(content map[string]any) docsBody {
	for mediaType, v := range content {
		m := v.(map[string]any)
		b := docsBody{MediaType: mediaType, Schema: indent(m["schema"])}
		if ex, ok := m["example"]; ok {
			if s, isText := ex.(string); isText && mediaType != mediaJSON {
				b.Example = s
			} else {
				b.Example = indent(ex)
			}
		}
		return b
	}
	return docsBody{}
}

// curlExample is a command that calls the route as its examples say.
func curlExample(r route) string {
	var b strings.Builder
	b.WriteString("curl")
	if r.Method != http.MethodGet {
		b.WriteString(" -X " + r.Method)
	}
	if !r.Public {
		b.WriteString(` -H "Authorization: Bearer $TOKEN"`)
	}
	if r.Request != nil {
		mediaType := r.RequestType
		if mediaType == "" {
			mediaType = mediaJSON
		}
		body, ok := r.Request.(string)
		if !ok {
			data, _ := json.Marshal(r.Request)
			body = string(data)
		}
		if len(body) > 200 {
			body = "@body.json"
			b.WriteString(" -H 'Content-Type: " + mediaType + "' --data-binary " + body)
		} else {
			b.WriteString(" -H 'Content-Type: " + mediaType + "' -d '" + strings.ReplaceAll(body, "'", `'\''`) + "'")
		}
	}
	path := echoParam.ReplaceAllStringFunc(r.Path, func(m string) string { return pathExample(m[1:]) })
	b.WriteString(" http://localhost:8000" + path)
	return b.String()
}

func indent(v any) string {
	if m, ok := v.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok && len(m) == 1 {
			return "see " + ref
		}
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
