package accounts

import "github.com/pff/pff/app/auth"

// Principal is who a request acts for.
type Principal struct {
	UserID string
	Role   auth.Role
	// APIKeyID is set when the request came with an API key.
	APIKeyID string
}

// Actor names the principal in the audit log and in what it creates.
func (p Principal) Actor() string {
	if p.APIKeyID != "" {
		return "api_key:" + p.APIKeyID
	}
	return "user:" + p.UserID
}
