package executions

import (
	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/flows"
)

// The methods the engine runs itself: they read the line's enquiry (fetched
// once per run through BSS) or keep results with the line.
const (
	methodGetContract    = "line.get_contract"
	methodGetProduct     = "line.get_product"
	methodSaveObject     = "line.save_object"
	methodSetObservation = "line.set_observation"
	methodValidate       = "validator.validate"
	methodGetEnquiry     = "line.get_customer_enquiry"
)

var localMethods = flows.Methods{
	methodGetContract:        {Name: methodGetContract, Params: []string{"search"}, Effect: flows.EffectRead},
	methodGetProduct:         {Name: methodGetProduct, Params: []string{"search", "contract"}, Effect: flows.EffectRead},
	methodSaveObject:         {Name: methodSaveObject, Params: []string{"obj", "var_name"}, Effect: flows.EffectLocal},
	methodSetObservation:     {Name: methodSetObservation, Params: []string{"note", "text", "message", "observation"}, Effect: flows.EffectLocal},
	methodValidate:           {Name: methodValidate, Params: []string{"document", "data", "record"}, Effect: flows.EffectLocal},
	flows.MethodSearchInDict: {Name: flows.MethodSearchInDict, Params: []string{"data", "criteria"}, Effect: flows.EffectLocal},
}

// Catalog is what flows may call: the BSS catalogue's operations and the
// engine's own methods. It is a flows.Catalog, for lint.
type Catalog struct {
	BSS *bss.Catalogue
}

// Method describes a method a flow may call.
func (c Catalog) Method(name string) (flows.MethodInfo, bool) {
	if m, ok := localMethods[name]; ok {
		return m, true
	}
	if c.BSS == nil {
		return flows.MethodInfo{}, false
	}
	m, ok := c.BSS.Method(name)
	if !ok {
		return flows.MethodInfo{}, false
	}
	return flows.MethodInfo{Name: m.Name, Params: m.Params, Effect: flows.Effect(m.Effect)}, true
}
