// Stand-in for Traefik's nested module github.com/traefik/traefik/dynamic/ext (v3.7+).
// Traefik's own go.mod points it at ./pkg/config/dynamic/ext inside its repository, but a nested
// module is neither in the v3 module zip nor served by the module proxy, so the wrapper module
// built by get-traefik.mjs replaces it with this directory.
module github.com/traefik/traefik/dynamic/ext

go 1.24.0
