package app

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

func newAPIDocs(routes []route, build BuildInfo) (*apiDocs, error) {
	doc := openAPI(routes, build)
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
		{Method: http.MethodGet, Path: apiPrefix + "/openapi.json", Public: true, Group: groupNone, Tag: "documentation",
			Summary: "This API's OpenAPI 3.1 document", Handler: d.openAPIJSON},
		{Method: http.MethodGet, Path: "/docs", Public: true, Group: groupNone, Tag: "documentation",
			Summary: "Browsable API reference (HTML)", Handler: d.reference},
		{Method: http.MethodGet, Path: "/docs/style.css", Public: true, Group: groupNone, Tag: "documentation",
			Summary: "Stylesheet of the API reference", Handler: d.stylesheet},
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
	ID, Method, MethodClass, Path, Summary, Role, Request string
	Params                                                []docsParam
	Responses                                             []docsResponse
}

type docsParam struct{ Name, In, Description string }

type docsResponse struct{ Status, Schema string }

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
			Path: toOpenAPIPath(r.Path), Summary: r.Summary}
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
			d.Request = indent(body["content"].(map[string]any)["application/json"].(map[string]any)["schema"])
		}
		responses := op["responses"].(map[string]any)
		statuses := make([]string, 0, len(responses))
		for status := range responses {
			statuses = append(statuses, status)
		}
		slices.Sort(statuses)
		for _, status := range statuses {
			if content, ok := responses[status].(map[string]any)["content"].(map[string]any); ok {
				d.Responses = append(d.Responses, docsResponse{Status: status, Schema: indent(content["application/json"].(map[string]any)["schema"])})
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

func indent(v any) string {
	if ref, ok := v.(map[string]any)["$ref"].(string); ok {
		return "see " + ref
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
