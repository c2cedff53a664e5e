package bss_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
)

// fakeEnv is an environment for parallel tests (t.Setenv cannot run in
// them).
func fakeEnv(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestAuthFromEnvironment(t *testing.T) {
	t.Parallel()
	basic := bss.AuthConfig{Type: "basic", UsernameEnv: "BSS_USER", PasswordEnv: "BSS_PASSWORD"}
	bearer := bss.AuthConfig{Type: "bearer", TokenEnv: "BSS_TOKEN"}
	tests := []struct {
		name    string
		sim     bsssim.Config
		auth    bss.AuthConfig
		env     map[string]string
		outcome bss.Outcome
	}{
		{"basic", bsssim.Config{BasicUser: "pff", BasicPassword: "s3cret"}, basic,
			map[string]string{"BSS_USER": "pff", "BSS_PASSWORD": "s3cret"}, bss.Success},
		{"basic, wrong password", bsssim.Config{BasicUser: "pff", BasicPassword: "s3cret"}, basic,
			map[string]string{"BSS_USER": "pff", "BSS_PASSWORD": "guess"}, bss.Rejected},
		{"bearer", bsssim.Config{BearerToken: "tok-1"}, bearer, map[string]string{"BSS_TOKEN": "tok-1"}, bss.Success},
		{"bearer, wrong token", bsssim.Config{BearerToken: "tok-1"}, bearer, map[string]string{"BSS_TOKEN": "tok-2"}, bss.Rejected},
		{"none where BSS wants some", bsssim.Config{BearerToken: "tok-1"}, bss.AuthConfig{}, nil, bss.Rejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, fixtureOptions{
				sim:    tt.sim,
				system: func(c *bss.SystemConfig) { c.Auth = tt.auth },
				config: func(c *bss.Config) { c.LookupEnv = fakeEnv(tt.env) },
			})
			r := f.call(t, "line.get_customer_enquiry", map[string]any{"customer_id": singleCustomer})
			require.Equal(t, tt.outcome, r.Outcome, "err: %v", r.Err)
			if tt.outcome == bss.Rejected {
				require.Equal(t, 401, r.Status)
			}
		})
	}
}

func TestAuthNeedsItsVariables(t *testing.T) {
	t.Parallel()
	cat, err := bss.LoadCatalogue()
	require.NoError(t, err)
	sc := bss.SystemConfig{Clusters: []string{"http://127.0.0.1:1"}}
	withAuth := sc
	withAuth.Auth = bss.AuthConfig{Type: "basic", UsernameEnv: "BSS_USER", PasswordEnv: "BSS_PASSWORD"}
	_, err = bss.NewClient(cat, bss.Config{
		Systems:   map[string]bss.SystemConfig{"bias": withAuth, "bae": sc, "cpm": sc},
		LookupEnv: fakeEnv(map[string]string{"BSS_USER": "pff"}),
	})
	require.ErrorContains(t, err, "bss.systems.bias.auth.password_env: environment variable BSS_PASSWORD is not set")
}

// TestAuthFromTheRealEnvironment is not parallel: it sets the process's
// environment, as a deployment does.
func TestAuthFromTheRealEnvironment(t *testing.T) {
	t.Setenv("PFF_TEST_BSS_TOKEN", "from-env")
	f := newFixture(t, fixtureOptions{
		sim:    bsssim.Config{BearerToken: "from-env"},
		system: func(c *bss.SystemConfig) { c.Auth = bss.AuthConfig{Type: "bearer", TokenEnv: "PFF_TEST_BSS_TOKEN"} },
	})
	r := f.call(t, "line.get_customer_enquiry", map[string]any{"customer_id": singleCustomer})
	require.Equal(t, bss.Success, r.Outcome, "err: %v", r.Err)
}
