// Package embed learns knowledge-graph embeddings (TransE) in pure Go.
package embed
