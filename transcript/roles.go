package transcript

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Staff roles, each allowed what the ones before it are and more:
// a reviewer marks replies; a clinician also writes and publishes library
// answers; an admin also manages accounts and sources.
const (
	RoleReviewer  = "reviewer"
	RoleClinician = "clinician"
	RoleAdmin     = "admin"
)

// Roles lists the roles from least to most allowed.
var Roles = []string{RoleReviewer, RoleClinician, RoleAdmin}

// DefaultRole is the role `staff add` gives without --role: accounts made
// before roles existed could do everything, and scripts that add accounts
// keep working as they did.
const DefaultRole = RoleAdmin

// CheckRole refuses a role that is not one of Roles.
func CheckRole(role string) error {
	if !slices.Contains(Roles, role) {
		return fmt.Errorf("role %q: want one of %s", role, strings.Join(Roles, ", "))
	}
	return nil
}

// RoleAllows says whether an account of role have may do what role want may.
func RoleAllows(have, want string) bool {
	h, w := slices.Index(Roles, have), slices.Index(Roles, want)
	return h >= 0 && w >= 0 && h >= w
}

// AddStaffRole creates a staff account with a role.
func (s *Store) AddStaffRole(ctx context.Context, email, password, role string) error {
	return addStaffRole(ctx, s, email, password, role)
}

// addStaffRole creates an account on b and gives it role.
func addStaffRole(ctx context.Context, b Backend, email, password, role string) error {
	if err := CheckRole(role); err != nil {
		return err
	}
	if err := b.AddStaff(ctx, email, password); err != nil {
		return err
	}
	return b.SetRole(ctx, email, role)
}

// SetRole changes a staff account's role; ErrNotFound if there is no such account.
func (s *Store) SetRole(ctx context.Context, email, role string) error {
	if err := CheckRole(role); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE staff SET role = ? WHERE email = ?`, role, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return fmt.Errorf("set role of %s: %w", email, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("staff %s: %w", email, ErrNotFound)
	}
	return nil
}
