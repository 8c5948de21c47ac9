package web

import (
	"github.com/cellchat/cellchat/internal/clientip"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiters holds one token bucket per client IP. Buckets idle long enough
// to have refilled are swept, so the map stays bounded by the clients seen
// in the last few minutes.
type ipLimiters struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	byIP      map[string]*ipLimiter
	lastSweep time.Time
}

type ipLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

const ipLimiterIdle = 5 * time.Minute

func newIPLimiters(perSecond float64, burst int) *ipLimiters {
	return &ipLimiters{limit: rateLimit(perSecond), burst: burst, byIP: map[string]*ipLimiter{}}
}

// allow takes one token from ip's bucket.
func (l *ipLimiters) allow(ip string) bool {
	if l.limit == rate.Inf {
		return true
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		for k, e := range l.byIP {
			if now.Sub(e.seen) > ipLimiterIdle {
				delete(l.byIP, k)
			}
		}
		l.lastSweep = now
	}
	e := l.byIP[ip]
	if e == nil {
		e = &ipLimiter{lim: rate.NewLimiter(l.limit, l.burst)}
		l.byIP[ip] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}

// rateLimit turns a per-second flag value into a limit; 0 means no limit.
func rateLimit(perSecond float64) rate.Limit {
	if perSecond <= 0 {
		return rate.Inf
	}
	return rate.Limit(perSecond)
}

func clientIP(r *http.Request, header string) string { return clientip.Of(r, header) }
