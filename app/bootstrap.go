package app

import (
	"context"
	"fmt"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

// bootstrapAdmin creates the first admin from bootstrap_admin and
// bootstrap_password when the users table is empty, so a fresh container
// install can be logged into without a shell. PFF has no default account.
func bootstrapAdmin(ctx context.Context, s *services) error {
	cfg := s.cfg
	if cfg.BootstrapAdmin == "" {
		return nil
	}
	// Hashing costs tens of milliseconds: skip it on every start but the first.
	if exists, err := s.store.HasUsers(ctx); err != nil || exists {
		return err
	}
	if err := auth.DefaultPasswordPolicy().Check(cfg.BootstrapAdmin, cfg.BootstrapPassword); err != nil {
		return fmt.Errorf("bootstrap_password: %w", err)
	}
	hasher, err := newPasswordHasher()
	if err != nil {
		return err
	}
	hash, err := hasher.Hash(ctx, cfg.BootstrapPassword)
	if err != nil {
		return err
	}
	email := cfg.BootstrapEmail
	if email == "" {
		email = cfg.BootstrapAdmin + "@pff.invalid"
	}
	created, err := s.store.CreateFirstUser(ctx, store.NewUser{Username: cfg.BootstrapAdmin, Email: email, PasswordHash: hash, Role: "admin"})
	if err != nil {
		return err
	}
	if created {
		s.logger.Info("created the first admin from bootstrap_admin", "username", cfg.BootstrapAdmin)
	}
	return nil
}
