// Package clientip says which client address a request came from, for the
// rate limits and sign-in lockouts keyed on it.
package clientip

import (
	"net"
	"net/http"
	"strings"
)

// Of returns the request's client IP: the peer address, or behind a trusted
// reverse proxy the last entry of header (e.g. X-Forwarded-For), which is
// the one the nearest proxy added and the only one a client cannot forge.
func Of(r *http.Request, header string) string {
	if header != "" {
		if v := r.Header.Values(header); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
