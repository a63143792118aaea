// Package ext is the extension point Traefik v3.7 leaves in its dynamic configuration for other
// distributions to fill in. Open-source Traefik uses only empty types here, so empty types are all
// a build of the open-source binary needs: they add no configuration fields and no behaviour.
package ext

// HTTP extends dynamic.HTTP (no extra fields in open-source Traefik).
type HTTP struct{}

// Router extends dynamic.Router (no extra fields in open-source Traefik).
type Router struct{}

// RouterIng extends the Kubernetes Ingress provider's router annotations.
type RouterIng struct{}

// ToRouter turns ingress-annotation extensions into router extensions; with no fields there is
// nothing to carry over.
func (r RouterIng) ToRouter() Router {
	return Router{}
}
