package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
)

func TestKnowledgeVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	content := `{"type": "object"}`
	v1, created, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "schema", Name: "core", Format: "json", Content: content, CreatedBy: "user:a"})
	require.NoError(t, err)
	require.True(t, created)
	sum := sha256.Sum256([]byte(content))
	require.Equal(t, 1, v1.Version)
	require.Equal(t, hex.EncodeToString(sum[:]), v1.SHA256)
	require.Equal(t, len(content), v1.Size)
	require.False(t, v1.Active)
	require.Empty(t, v1.Content, "content is returned by KnowledgeByID only")

	v2, _, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "schema", Name: "core", Format: "json", Content: `{}`, CreatedBy: "user:a"})
	require.NoError(t, err)
	require.Equal(t, 2, v2.Version)
	same, created, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "schema", Name: "core", Format: "json", Content: `{}`, CreatedBy: "user:b"})
	require.NoError(t, err)
	require.False(t, created, "the latest version's content is not stored again")
	require.Equal(t, v2, same)
	v3, created, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "schema", Name: "core", Format: "json", Content: content, CreatedBy: "user:a"})
	require.NoError(t, err)
	require.True(t, created, "going back to an older content is a new version")
	require.Equal(t, 3, v3.Version)
	other, _, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "rules", Name: "core", Format: "tsv", Content: "x", CreatedBy: "user:a"})
	require.NoError(t, err)
	require.Equal(t, 1, other.Version, "versions count per kind and name")

	got, err := s.KnowledgeByID(ctx, "schema", v1.ID)
	require.NoError(t, err)
	require.Equal(t, content, got.Content)
	_, err = s.KnowledgeByID(ctx, "rules", v1.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "ids are looked up within their kind")

	list, err := s.ListKnowledge(ctx, store.KnowledgeFilter{Kind: "schema", Limit: 10})
	require.NoError(t, err)
	require.Equal(t, []int64{v3.ID, v2.ID, v1.ID}, ids(list))
	list, err = s.ListKnowledge(ctx, store.KnowledgeFilter{Kind: "schema", Before: v2.ID, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, []int64{v1.ID}, ids(list))

	_, _, err = s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "schema", Name: "../etc", Format: "json", Content: "{}", CreatedBy: "user:a"})
	require.Error(t, err, "names are checked")
	// Kinds are the application's to check (migration 21): the store keeps
	// whatever it is given.

	// The mode is part of a version: the same content that replaces the
	// defaults is another version than the one that adds to them.
	add, created, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "rules", Name: "ops", Format: "tsv", Content: "x", CreatedBy: "user:a"})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "add", add.Mode)
	require.Equal(t, store.ContentDigest([]byte("x")), add.SHA256, "one digest offline and in the database")
	replace, created, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "rules", Name: "ops", Format: "tsv", Content: "x", CreatedBy: "user:a", Mode: "replace"})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 2, replace.Version)
	require.Equal(t, add.SHA256, replace.SHA256)
}

func TestKnowledgeVersionsAreNumberedInTurnUnderConcurrentUploads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	const n = 8
	versions := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, _, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "rules", Name: "core", Format: "tsv", Content: fmt.Sprint(i), CreatedBy: "user:a"})
			require.NoError(t, err)
			versions <- k.Version
		})
	}
	wg.Wait()
	close(versions)
	seen := map[int]bool{}
	for v := range versions {
		seen[v] = true
	}
	require.Len(t, seen, n)
	for v := 1; v <= n; v++ {
		require.True(t, seen[v], "version %d", v)
	}
}

func TestKnowledgeActivation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	create := func(kind, format, content string) store.Knowledge {
		k, _, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: kind, Name: "n", Format: format, Content: content, CreatedBy: "user:a"})
		require.NoError(t, err)
		return k
	}
	r1, r2, c1 := create("rules", "json", "1"), create("rules", "json", "2"), create("checks", "yaml", "3")

	active, err := s.ActiveKnowledgeVersions(ctx)
	require.NoError(t, err)
	require.Empty(t, active)

	got, err := s.ActivateKnowledge(ctx, "rules", r1.ID, "user:a")
	require.NoError(t, err)
	require.True(t, got.Active)
	_, err = s.ActivateKnowledge(ctx, "checks", c1.ID, "user:a")
	require.NoError(t, err)
	_, err = s.ActivateKnowledge(ctx, "schema", r2.ID, "user:a")
	require.ErrorIs(t, err, store.ErrNotFound, "a version activates only as its own kind")

	_, err = s.ActivateKnowledge(ctx, "rules", r2.ID, "user:b")
	require.NoError(t, err)
	active, err = s.ActiveKnowledgeVersions(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.ActiveKnowledge{
		{Kind: "checks", ID: c1.ID, Name: "n", Version: 1, SHA256: c1.SHA256, Mode: "add"},
		{Kind: "rules", ID: r2.ID, Name: "n", Version: 2, SHA256: r2.SHA256, Mode: "add"},
	}, active)
	list, err := s.ListKnowledge(ctx, store.KnowledgeFilter{Kind: "rules", Limit: 10})
	require.NoError(t, err)
	require.True(t, list[0].Active)
	require.False(t, list[1].Active, "activating one version deactivates the other")

	var conflict *store.ConflictError
	require.ErrorAs(t, s.DeleteKnowledge(ctx, "rules", r2.ID), &conflict, "the active version stays")
	require.NoError(t, s.DeleteKnowledge(ctx, "rules", r1.ID))
	require.ErrorIs(t, s.DeleteKnowledge(ctx, "rules", r1.ID), store.ErrNotFound)
	require.ErrorIs(t, s.DeleteKnowledge(ctx, "checks", r2.ID), store.ErrNotFound)

	require.NoError(t, s.DeactivateKnowledge(ctx, "rules"))
	require.NoError(t, s.DeleteKnowledge(ctx, "rules", r2.ID))
	active, err = s.ActiveKnowledgeVersions(ctx)
	require.NoError(t, err)
	require.Len(t, active, 1)
}

func TestKnowledgeActivationIsAtomicUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	var versions []store.Knowledge
	for i := range 6 {
		k, _, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "checks", Name: "n", Format: "yaml", Content: fmt.Sprint(i), CreatedBy: "user:a"})
		require.NoError(t, err)
		versions = append(versions, k)
	}
	var wg sync.WaitGroup
	for round := range 5 {
		for _, k := range versions {
			wg.Go(func() {
				_, err := s.ActivateKnowledge(ctx, "checks", k.ID, fmt.Sprint("user:", round))
				require.NoError(t, err)
			})
		}
	}
	wg.Wait()
	list, err := s.ListKnowledge(ctx, store.KnowledgeFilter{Kind: "checks", Limit: 10})
	require.NoError(t, err)
	activeCount := 0
	for _, k := range list {
		if k.Active {
			activeCount++
		}
	}
	require.Equal(t, 1, activeCount)
}

func ids(list []store.Knowledge) []int64 {
	out := make([]int64, len(list))
	for i, k := range list {
		out[i] = k.ID
	}
	return out
}

func TestKnowledgeDeleteRacingActivation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	var wg sync.WaitGroup
	for i := range 20 {
		k, _, err := s.CreateKnowledge(ctx, store.NewKnowledge{Kind: "rules", Name: "n", Format: "tsv", Content: fmt.Sprint(i), CreatedBy: "user:a"})
		require.NoError(t, err)
		wg.Go(func() {
			_, err := s.ActivateKnowledge(ctx, "rules", k.ID, "user:a")
			if err != nil {
				require.ErrorIs(t, err, store.ErrNotFound)
			}
		})
		wg.Go(func() {
			err := s.DeleteKnowledge(ctx, "rules", k.ID)
			var conflict *store.ConflictError
			if err != nil && !errors.As(err, &conflict) {
				require.ErrorIs(t, err, store.ErrNotFound)
			}
		})
	}
	wg.Wait()
	active, err := s.ActiveKnowledgeVersions(ctx)
	require.NoError(t, err)
	require.LessOrEqual(t, len(active), 1)
	for _, a := range active {
		_, err := s.KnowledgeByID(ctx, "rules", a.ID)
		require.NoError(t, err, "the active version was not deleted")
	}
}
