package auth

import (
	"errors"
	"fmt"
)

// Role is what a principal may do. Roles are ordered: every role allows
// everything the roles below it allow (admin ⊇ operator ⊇ viewer). The zero
// value is "no role" and allows nothing.
type Role uint8

// The roles, in increasing order of privilege.
const (
	// RoleViewer may read records, results and reports.
	RoleViewer Role = iota + 1
	// RoleOperator may also upload records and run validations, trainings
	// and fix flows.
	RoleOperator
	// RoleAdmin may do everything, including managing users and API keys.
	RoleAdmin
)

// ErrUnknownRole is returned when parsing a role name that is not one of
// "viewer", "operator" or "admin".
var ErrUnknownRole = errors.New("unknown role")

// ParseRole returns the role named s. Names are lower case, exactly as
// String prints them.
func ParseRole(s string) (Role, error) {
	switch s {
	case "viewer":
		return RoleViewer, nil
	case "operator":
		return RoleOperator, nil
	case "admin":
		return RoleAdmin, nil
	}
	return 0, fmt.Errorf("auth: %w %q (want viewer, operator or admin)", ErrUnknownRole, s)
}

// String returns the role's name, or "none" for the zero value.
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleOperator:
		return "operator"
	case RoleAdmin:
		return "admin"
	case 0:
		return "none"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r >= RoleViewer && r <= RoleAdmin }

// Allows reports whether a principal holding r may do something that needs
// the required role. An invalid role on either side allows nothing, so a
// forgotten or corrupted role fails closed.
func (r Role) Allows(required Role) bool {
	return r.Valid() && required.Valid() && r >= required
}

// MarshalText implements encoding.TextMarshaler, so roles read and write as
// their names in JSON and configuration files.
func (r Role) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, fmt.Errorf("auth: %w %d", ErrUnknownRole, uint8(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Role) UnmarshalText(text []byte) error {
	parsed, err := ParseRole(string(text))
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}
