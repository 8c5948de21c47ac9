package web

import (
	"net/http"
	"testing"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		remote, header, value, want string
	}{
		{"192.0.2.7:5555", "", "", "192.0.2.7"},
		{"[2001:db8::1]:443", "", "", "2001:db8::1"},
		{"192.0.2.7:5555", "", "203.0.113.9", "192.0.2.7"},                               // header not trusted
		{"10.0.0.2:5555", "X-Forwarded-For", "203.0.113.9", "203.0.113.9"},               // one proxy
		{"10.0.0.2:5555", "X-Forwarded-For", "198.51.100.1, 203.0.113.9", "203.0.113.9"}, // forged first entry ignored
		{"10.0.0.2:5555", "X-Forwarded-For", "", "10.0.0.2"},                             // header missing
		{"10.0.0.2:5555", "X-Real-IP", "203.0.113.5", "203.0.113.5"},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, "/ws", nil)
		r.RemoteAddr = tt.remote
		if tt.value != "" {
			r.Header.Set(tt.header, tt.value)
		}
		if got := clientIP(r, tt.header); got != tt.want {
			t.Errorf("clientIP(%s, %s: %q) = %q, want %q", tt.remote, tt.header, tt.value, got, tt.want)
		}
	}
}

func TestIPLimitersKeyOnAddress(t *testing.T) {
	l := newIPLimiters(0.001, 2)
	for i := range 2 {
		if !l.allow("192.0.2.1") {
			t.Fatalf("token %d refused", i+1)
		}
	}
	if l.allow("192.0.2.1") {
		t.Error("third token within the burst allowed")
	}
	if !l.allow("192.0.2.2") {
		t.Error("another address shares the bucket")
	}
	if unlimited := newIPLimiters(0, 0); !unlimited.allow("x") || !unlimited.allow("x") {
		t.Error("rate 0 should mean no limit")
	}
}
