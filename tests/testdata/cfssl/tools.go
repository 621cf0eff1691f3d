//go:build tools

// Package tools pins cfssl and cfssljson for the test harness, which builds
// them with: go build github.com/cloudflare/cfssl/cmd/cfssl …/cmd/cfssljson.
package tools

import (
	_ "github.com/cloudflare/cfssl/cmd/cfssl"
	_ "github.com/cloudflare/cfssl/cmd/cfssljson"
)
