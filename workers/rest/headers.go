package rest

import (
	"fmt"
	"net/http"
	"strings"
)

// HeaderDirective is one entry of Kafka's response.http.headers.config:
// "add|set|addDate|setDate Name: value".
type HeaderDirective struct {
	Action, Name, Value string
}

// ParseHeaderDirectives parses response.http.headers.config, e.g.
// "add X-Frame-Options: DENY, set Cache-Control: no-store".
func ParseHeaderDirectives(s string) ([]HeaderDirective, error) {
	var out []HeaderDirective
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		action, rest, ok := strings.Cut(part, " ")
		name, value, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("invalid header config %q: expected \"[action] [header name]:[header value]\"", part)
		}
		switch action {
		case "add", "set", "addDate", "setDate":
		default:
			return nil, fmt.Errorf("invalid header config action %q in %q: expected add, set, addDate or setDate", action, part)
		}
		out = append(out, HeaderDirective{Action: action, Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	return out, nil
}

// withHeaders applies CORS (access.control.allow.origin/methods) and the
// configured response headers around h.
func (s *Server) withHeaders(h http.Handler) http.Handler {
	origin, methods := s.opts.AllowOrigin, s.opts.AllowMethods
	if methods == "" {
		methods = "GET,POST,HEAD"
	}
	directives := s.opts.ResponseHeaders
	if origin == "" && len(directives) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, d := range directives {
			value := d.Value
			if strings.HasSuffix(d.Action, "Date") {
				value = http.TimeFormat
			}
			if strings.HasPrefix(d.Action, "add") {
				w.Header().Add(d.Name, value)
			} else {
				w.Header().Set(d.Name, value)
			}
		}
		if reqOrigin := r.Header.Get("Origin"); origin != "" && reqOrigin != "" && allowedOrigin(origin, reqOrigin) {
			w.Header().Set("Access-Control-Allow-Origin", reqOrigin)
			w.Header().Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				w.Header().Set("Access-Control-Allow-Methods", methods)
				if hdrs := r.Header.Get("Access-Control-Request-Headers"); hdrs != "" {
					w.Header().Set("Access-Control-Allow-Headers", hdrs)
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func allowedOrigin(allowed, origin string) bool {
	for _, a := range strings.Split(allowed, ",") {
		if a = strings.TrimSpace(a); a == "*" || a == origin {
			return true
		}
	}
	return false
}
