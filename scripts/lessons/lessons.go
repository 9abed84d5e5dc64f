// Package lessons holds the lessons of hmpsh learn: transcripts
// (NN-name.hmpt) with their task text as comments, built into hmpsh so that
// an installed binary has them. README.md describes the convention.
package lessons

import "embed"

// FS holds every lesson file.
//
//go:embed *.hmpt
var FS embed.FS
