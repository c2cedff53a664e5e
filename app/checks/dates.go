package checks

import "github.com/pff/pff/app/kg"

// validityOf reads an object's validFor period.
func validityOf(validFor any) kg.Validity {
	vf, _ := validFor.(map[string]any)
	start, _ := vf["startDateTime"].(string)
	end, _ := vf["endDateTime"].(string)
	return kg.ParseValidity(start, end)
}
