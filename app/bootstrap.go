package app

import (
	"context"
)

// bootstrapAdmin creates the first admin from bootstrap_admin and
// bootstrap_password when the users table is empty, so a fresh container
// install can be logged into without a shell. PFF has no default account.
func bootstrapAdmin(ctx context.Context, s *services) error {
	cfg := s.cfg
	if cfg.BootstrapAdmin == "" {
		return nil
	}
	email := cfg.BootstrapEmail
	if email == "" {
		email = cfg.BootstrapAdmin + "@pff.invalid"
	}
	created, err := s.accounts.CreateFirstAdmin(ctx, cfg.BootstrapAdmin, email, cfg.BootstrapPassword)
	if err != nil {
		return err
	}
	if created {
		s.logger.Info("created the first admin from bootstrap_admin", "username", cfg.BootstrapAdmin)
	}
	return nil
}
