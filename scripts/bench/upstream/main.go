// Minimal upstream for `npm run bench:traefik`: the lightest HTTP/1.1 keep-alive server we can put
// behind Traefik on a 2-core machine, so the proxy (not the upstream) is what the benchmark sees.
// It answers every request 200 with a 3-byte body and reports, in response headers, what the
// benchmark's sanity checks need to know about the request Traefik forwarded: the identity header
// the plugin or forwardAuth set, and whether an Authorization header still reached it.
//
// Usage: upstream -addr 127.0.0.1:PORT
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

var body = []byte("ok\n")

func handle(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("X-Seen-User", r.Header.Get("X-Forwarded-User"))
	if r.Header.Get("Authorization") != "" {
		h.Set("X-Seen-Authorization", "present")
	} else {
		h.Set("X-Seen-Authorization", "absent")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	flag.Parse()
	server := &http.Server{Addr: *addr, Handler: http.HandlerFunc(handle)}
	// Exit promptly on SIGTERM/SIGINT: the benchmark stops what it starts.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()
	if err := server.ListenAndServe(); err != nil {
		log.Fatal(err)
	}
}
