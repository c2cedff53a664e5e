package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// Credentials are what a request presented: an access token or an API key.
type Credentials struct {
	Token  string
	APIKey string
}

// CredentialsFromHeaders reads an access token (Authorization: Bearer <jwt>)
// or an API key (X-API-Key: <key>, or Authorization: Bearer <key>).
func CredentialsFromHeaders(authorization, apiKey string) Credentials {
	c := Credentials{APIKey: apiKey}
	if scheme, value, ok := strings.Cut(authorization, " "); ok && strings.EqualFold(scheme, "Bearer") {
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, auth.APIKeyPrefix) {
			c.APIKey = value
		} else {
			c.Token = value
		}
	}
	return c
}

// ErrUnauthenticated is the one answer to missing or bad credentials.
var ErrUnauthenticated = &problem.Error{Kind: problem.Unauthenticated, Code: "unauthenticated",
	Message: "missing or invalid credentials: send a bearer token or an API key"}

// Authenticate finds who the credentials act for. Bad credentials of any
// kind are ErrUnauthenticated; other errors are the database's.
func (a *Accounts) Authenticate(ctx context.Context, c Credentials) (Principal, error) {
	p, err := a.authenticate(ctx, c)
	if err != nil && (errors.Is(err, auth.ErrTokenInvalid) || errors.Is(err, auth.ErrAPIKeyInvalid) ||
		errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUserDisabled)) {
		return Principal{}, fmt.Errorf("%w (%w)", ErrUnauthenticated, err)
	}
	return p, err
}

func (a *Accounts) authenticate(ctx context.Context, c Credentials) (Principal, error) {
	switch {
	case c.APIKey != "":
		stored, err := a.keys.Verify(ctx, c.APIKey)
		if err != nil {
			return Principal{}, err
		}
		// Only a key that verified counts as used.
		if err := a.keyUse.record(ctx, stored.ID); err != nil {
			return Principal{}, err
		}
		return Principal{UserID: stored.UserID, Role: stored.Role, APIKeyID: stored.ID}, nil
	case c.Token != "":
		if a.tokens == nil {
			return Principal{}, errors.New("accounts: authenticating tokens needs Config.Tokens")
		}
		claims, err := a.tokens.Authenticate(ctx, c.Token, a.versions)
		if err != nil {
			return Principal{}, err
		}
		return Principal{UserID: claims.UserID, Role: claims.Role}, nil
	}
	return Principal{}, ErrUnauthenticated
}
