package auth

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Role
		wantErr bool
	}{
		{in: "viewer", want: RoleViewer},
		{in: "operator", want: RoleOperator},
		{in: "admin", want: RoleAdmin},
		{in: "Admin", wantErr: true},
		{in: " admin", wantErr: true},
		{in: "", wantErr: true},
		{in: "root", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRole(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrUnknownRole)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.in, got.String())
		})
	}
}

func TestRoleAllows(t *testing.T) {
	t.Parallel()
	all := []Role{0, RoleViewer, RoleOperator, RoleAdmin, 42}
	want := map[Role][]Role{
		RoleViewer:   {RoleViewer},
		RoleOperator: {RoleViewer, RoleOperator},
		RoleAdmin:    {RoleViewer, RoleOperator, RoleAdmin},
	}
	for _, held := range all {
		for _, required := range all {
			t.Run(held.String()+"/"+required.String(), func(t *testing.T) {
				t.Parallel()
				require.Equal(t, slices.Contains(want[held], required), held.Allows(required))
			})
		}
	}
}

func TestRoleJSON(t *testing.T) {
	t.Parallel()
	type user struct {
		Role Role `json:"role"`
	}
	b, err := json.Marshal(user{Role: RoleOperator})
	require.NoError(t, err)
	require.JSONEq(t, `{"role":"operator"}`, string(b))

	var u user
	require.NoError(t, json.Unmarshal([]byte(`{"role":"admin"}`), &u))
	require.Equal(t, RoleAdmin, u.Role)

	require.ErrorIs(t, json.Unmarshal([]byte(`{"role":"god"}`), &u), ErrUnknownRole)
	_, err = json.Marshal(user{})
	require.ErrorIs(t, err, ErrUnknownRole)
}
