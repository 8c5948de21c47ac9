package transcript

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest staff password accepted.
const MinPasswordLength = 12

// ErrBadCredentials is returned by Authenticate for an unknown e-mail or a
// wrong password (deliberately the same error for both).
var ErrBadCredentials = errors.New("wrong e-mail or password")

// ErrExists is returned when adding a staff account that already exists.
var ErrExists = errors.New("already exists")

// Staff is a staff account (its password hash stays in the store).
type Staff struct {
	Email   string    `json:"email"`
	Created time.Time `json:"created"`
	Role    string    `json:"role"`
}

// Session is a signed-in staff member. Token is the cookie value; only its
// hash is stored. CSRF is the token every state-changing form must carry.
type Session struct {
	Token   string
	Email   string
	Role    string // the account's role (see roles.go), as it is now
	CSRF    string
	Created time.Time
	Expires time.Time
}

// Review statuses.
const (
	StatusApproved        = "approved"
	StatusNeedsCorrection = "needs_correction"
	StatusWrong           = "wrong"
)

// ReviewStatuses lists the valid review statuses.
var ReviewStatuses = []string{StatusApproved, StatusNeedsCorrection, StatusWrong}

// Review is one staff review of a reply. Reviews are never overwritten: a
// later review adds a row and the newest one is the reply's status.
type Review struct {
	ID        int64     `json:"id"`
	AnswerID  string    `json:"answer_id"`
	Reviewer  string    `json:"reviewer"`
	Status    string    `json:"status"`
	Note      string    `json:"note,omitempty"`
	Corrected string    `json:"corrected,omitempty"`
	Time      time.Time `json:"time"`
}

// AuditEntry is one row of the staff audit log. A row merging repeats of
// one event (see AuditMerged) has Count > 1, Time the first and Last the
// latest of them.
type AuditEntry struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail"`
	Count  int       `json:"count"`
	Last   time.Time `json:"last"`
}

// NormalizeEmail checks an e-mail address and returns it lower-cased.
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return "", fmt.Errorf("%q is not an e-mail address", email)
	}
	return strings.ToLower(email), nil
}

// AddStaff creates a staff account; the password is stored as a bcrypt hash.
func (s *Store) AddStaff(ctx context.Context, email, password string) error {
	email, hash, err := newStaff(email, password)
	if err != nil {
		return err
	}
	var added int64
	if err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
		res, err := c.ExecContext(ctx, `INSERT INTO staff(email, password_hash, created) VALUES (?, ?, ?)
			ON CONFLICT(email) DO NOTHING`, email, hash, time.Now().UnixNano())
		if err == nil {
			added, _ = res.RowsAffected()
		}
		return err
	}); err != nil {
		return fmt.Errorf("add staff %s: %w", email, err)
	}
	if added == 0 {
		return fmt.Errorf("staff %s: %w", email, ErrExists)
	}
	return nil
}

// newStaff checks a new account's e-mail and password and returns the
// e-mail normalized and the password's bcrypt hash.
func newStaff(email, password string) (string, string, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return "", "", err
	}
	if err := CheckPassword(password); err != nil {
		return "", "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", "", fmt.Errorf("hash password: %w", err)
	}
	return email, string(hash), nil
}

// RemoveStaff deletes a staff account and its sessions; ErrNotFound if none.
func (s *Store) RemoveStaff(ctx context.Context, email string) error {
	var removed int64
	if err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
		res, err := c.ExecContext(ctx, `DELETE FROM staff WHERE email = ?`, strings.ToLower(strings.TrimSpace(email)))
		if err == nil {
			removed, _ = res.RowsAffected()
		}
		return err
	}); err != nil {
		return fmt.Errorf("remove staff %s: %w", email, err)
	}
	if removed == 0 {
		return fmt.Errorf("staff %s: %w", email, ErrNotFound)
	}
	return nil
}

// ListStaff returns the staff accounts by e-mail.
func (s *Store) ListStaff(ctx context.Context) ([]Staff, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT email, created, role FROM staff ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var out []Staff
	for rows.Next() {
		var st Staff
		var created int64
		if err := rows.Scan(&st.Email, &created, &st.Role); err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		st.Created = time.Unix(0, created)
		out = append(out, st)
	}
	return out, rows.Err()
}

// dummyHash is compared against when the e-mail is unknown, so a sign-in
// takes as long for an unknown account as for a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password, never matches"), PasswordCost)

// Authenticate checks a staff member's password; ErrBadCredentials if wrong.
func (s *Store) Authenticate(ctx context.Context, email, password string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM staff WHERE email = ?`, email).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return ErrBadCredentials
	}
	if err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return ErrBadCredentials
	}
	if better, ok := upgradedHash(hash, password); ok {
		if err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
			_, err := c.ExecContext(ctx, `UPDATE staff SET password_hash = ? WHERE email = ? AND password_hash = ?`,
				better, email, hash)
			return err
		}); err != nil {
			slog.Default().Warn("staff password hash not upgraded; it will be at the next sign-in", "err", err)
		}
	}
	return nil
}

// upgradedHash is a new hash of a password just checked against hash, if
// hash is of a lower cost than PasswordCost: the password is known only
// at a sign-in, the one moment a hash from before the cost was raised can
// be replaced.
func upgradedHash(hash, password string) (string, bool) {
	if cost, err := bcrypt.Cost([]byte(hash)); err == nil && cost < PasswordCost {
		if better, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost); err == nil {
			return string(better), true
		}
	}
	return "", false
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateSession starts a session for a staff member lasting ttl.
func (s *Store) CreateSession(ctx context.Context, email string, ttl time.Duration) (Session, error) {
	sess, err := newSession(email, ttl)
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	if err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
		// Sign-ins are rare: a good moment to forget expired sessions.
		if _, err := c.ExecContext(ctx, `DELETE FROM sessions WHERE expires < ?`, sess.Created.UnixNano()); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, `INSERT INTO sessions(token_hash, email, csrf, created, expires) VALUES (?, ?, ?, ?, ?)`,
			hashToken(sess.Token), sess.Email, sess.CSRF, sess.Created.UnixNano(), sess.Expires.UnixNano())
		return err
	}); err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return sess, nil
}

// newSession is a new session of email lasting ttl, with fresh tokens.
func newSession(email string, ttl time.Duration) (Session, error) {
	token, err := randomToken()
	if err != nil {
		return Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return Session{}, err
	}
	now := time.Now()
	return Session{Token: token, Email: strings.ToLower(strings.TrimSpace(email)), CSRF: csrf, Created: now, Expires: now.Add(ttl)}, nil
}

// LookupSession returns the live session for a cookie value; ErrNotFound
// if there is none or it has expired (or its account was removed).
func (s *Store) LookupSession(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNotFound
	}
	var sess Session
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT s.email, s.csrf, s.created, s.expires, st.role
		FROM sessions s JOIN staff st ON st.email = s.email WHERE s.token_hash = ?`,
		hashToken(token)).Scan(&sess.Email, &sess.CSRF, &created, &expires, &sess.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("lookup session: %w", err)
	}
	sess.Token, sess.Created, sess.Expires = token, time.Unix(0, created), time.Unix(0, expires)
	if !time.Now().Before(sess.Expires) {
		return Session{}, ErrNotFound
	}
	return sess, nil
}

// DeleteSession ends a session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	if err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashToken(token))
		return err
	}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// ValidCSRF reports whether token is the session's CSRF token.
func (sess Session) ValidCSRF(token string) bool {
	return sess.CSRF != "" && subtle.ConstantTimeCompare([]byte(sess.CSRF), []byte(token)) == 1
}

// AddReview records a review of a reply; ErrNotFound if there is no such reply.
func (s *Store) AddReview(ctx context.Context, rv Review) (Review, error) {
	if err := checkReview(&rv); err != nil {
		return Review{}, err
	}
	err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
		res, err := c.ExecContext(ctx, `INSERT INTO reviews(answer_id, reviewer, status, note, corrected, time, turn_time, turn)
			SELECT answer_id, ?, ?, ?, ?, ?, time, rowid FROM turns WHERE answer_id = ?`,
			rv.Reviewer, rv.Status, rv.Note, rv.Corrected, rv.Time.UnixNano(), rv.AnswerID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		rv.ID, _ = res.LastInsertId()
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return Review{}, err
	}
	if err != nil {
		return Review{}, fmt.Errorf("add review: %w", err)
	}
	return rv, nil
}

// checkReview refuses a review without a valid status or a reviewer, and
// sets a zero time to now.
func checkReview(rv *Review) error {
	valid := false
	for _, st := range ReviewStatuses {
		valid = valid || rv.Status == st
	}
	if !valid {
		return fmt.Errorf("review status %q: must be one of %s", rv.Status, strings.Join(ReviewStatuses, ", "))
	}
	if rv.Reviewer == "" {
		return errors.New("review: reviewer required")
	}
	if rv.Time.IsZero() {
		rv.Time = time.Now()
	}
	return nil
}

// Reviews returns the reviews of a reply, oldest first.
func (s *Store) Reviews(ctx context.Context, answerID string) ([]Review, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, answer_id, reviewer, status, note, corrected, time
		FROM reviews WHERE answer_id = ? ORDER BY time, id`, answerID)
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var rv Review
		var t int64
		if err := rows.Scan(&rv.ID, &rv.AnswerID, &rv.Reviewer, &rv.Status, &rv.Note, &rv.Corrected, &t); err != nil {
			return nil, fmt.Errorf("reviews: %w", err)
		}
		rv.Time = time.Unix(0, t)
		out = append(out, rv)
	}
	return out, rows.Err()
}

// Audit appends a row to the audit log of staff actions.
func (s *Store) Audit(ctx context.Context, actor, action, detail string) error {
	now := time.Now().UnixNano()
	if err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `INSERT INTO audit(time, actor, action, detail, last) VALUES (?, ?, ?, ?, ?)`,
			now, actor, action, detail, now)
		return err
	}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// AuditLog returns the newest audit rows first, at most limit.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.AuditQuery(ctx, AuditFilter{Limit: limit})
}
