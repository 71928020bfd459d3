package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// requireAdmin guards an admin handler; see HandleAdmin.
func (s *Server) requireAdmin(h http.Handler) http.Handler {
	if s.opts.AdminToken == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !isLoopback(r.RemoteAddr) {
				s.log.Warn().Str("request_id", RequestID(r.Context())).Str("path", r.URL.Path).
					Msg("admin request from non-loopback address refused (no admin token configured)")
				http.Error(w, "forbidden: admin API is loopback-only without an admin token", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	// Compare fixed-size digests so that the comparison takes the same time
	// whatever the length of the presented token.
	want := sha256.Sum256([]byte(s.opts.AdminToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		got := sha256.Sum256([]byte(token))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			challenge := `Bearer realm="cohortd admin"`
			if ok {
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header (scheme case-insensitive, RFC 6750).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// isLoopback reports whether a RemoteAddr ("ip:port") is a loopback address
// (127.0.0.0/8, ::1, or IPv4-mapped loopback).
func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return addr.Unmap().IsLoopback()
}
