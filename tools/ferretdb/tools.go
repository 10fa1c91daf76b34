//go:build tools

// Package tools pins FerretDB v1, the MongoDB-wire server the tests use.
package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
