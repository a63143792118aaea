module github.com/mcpauth/mcpauth/scripts/bench/wasm-host

go 1.23

// The versions Traefik v3.6.12 builds with (see its go.mod), so the figures are Traefik's wasm host.
require (
	github.com/http-wasm/http-wasm-host-go v0.7.0
	github.com/tetratelabs/wazero v1.8.0
)
