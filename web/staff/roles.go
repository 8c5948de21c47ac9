package staff

import (
	"net/http"

	"github.com/cellchat/cellchat/transcript"
)

// requireRole lets through only accounts whose role allows what role
// does (transcript.RoleAllows); others get 403, whatever the page showed
// them. It runs inside requireSession.
func (c *console) requireRole(role string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionFrom(r.Context())
		if !transcript.RoleAllows(sess.Role, role) {
			c.log.Warn("staff request refused by role", "path", r.URL.Path, "staff", sess.Email, "role", sess.Role, "needs", role)
			c.renderError(w, r, http.StatusForbidden, "Forbidden: your account ("+sess.Role+") may not do this; it needs the "+role+" role.")
			return
		}
		h.ServeHTTP(w, r)
	})
}
