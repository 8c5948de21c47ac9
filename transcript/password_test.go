package transcript

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestWeakPasswordsRefused(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	for _, pw := range []string{
		"aaaaaaaaaaaa", "111111111111", "abababababab", "abcabcabcabc", "aaaaaaaaaaab", // repeated characters
		"123456789012", "abcdefghijkl", "qwertyuiopas", // runs on the keyboard or in order
		"password1234", "Password123!", "iloveyou2024", "qwerty123456", "letmein12345", "trustno1trustno1",
		"correcthorsebatterystaple", // common passwords, with digits or symbols added
	} {
		if err := CheckPassword(pw); err == nil {
			t.Errorf("CheckPassword(%q) = nil, want refused", pw)
		}
		if err := s.AddStaff(ctx, "nurse@clinic.org", pw); err == nil {
			t.Errorf("AddStaff with %q: accepted", pw)
			s.RemoveStaff(ctx, "nurse@clinic.org")
		}
	}
	for _, pw := range []string{"correct horse battery", "another fine password", "Gx7#pLq2!vRt"} {
		if err := CheckPassword(pw); err != nil {
			t.Errorf("CheckPassword(%q) = %v, want accepted", pw, err)
		}
	}
	if n := len(commonPasswords); n < 300 {
		t.Errorf("%d common passwords shipped, want a few hundred", n)
	}
}

func TestPasswordHashCostAndUpgrade(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	if err := s.AddStaff(ctx, "nurse@clinic.org", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if c := hashCost(t, s, "nurse@clinic.org"); c < 12 {
		t.Errorf("new hash has cost %d, want at least 12", c)
	}
	// An account from an older version, hashed at cost 10.
	old, _ := bcrypt.GenerateFromPassword([]byte("old but long password"), 10)
	if _, err := s.db.Exec(`INSERT INTO staff(email, password_hash, created) VALUES ('old@clinic.org', ?, 1)`, string(old)); err != nil {
		t.Fatal(err)
	}
	if err := s.Authenticate(ctx, "old@clinic.org", "wrong password here"); err != ErrBadCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	if c := hashCost(t, s, "old@clinic.org"); c != 10 {
		t.Errorf("a failed sign-in changed the hash (cost %d)", c)
	}
	if err := s.Authenticate(ctx, "old@clinic.org", "old but long password"); err != nil {
		t.Fatal(err)
	}
	if c := hashCost(t, s, "old@clinic.org"); c < 12 {
		t.Errorf("after a sign-in the old hash still has cost %d, want at least 12", c)
	}
	if err := s.Authenticate(ctx, "old@clinic.org", "old but long password"); err != nil {
		t.Errorf("sign-in with the upgraded hash: %v", err)
	}
}

func hashCost(t *testing.T, s *Store, email string) int {
	t.Helper()
	var h string
	if err := s.db.QueryRow(`SELECT password_hash FROM staff WHERE email = ?`, email).Scan(&h); err != nil {
		t.Fatal(err)
	}
	c, err := bcrypt.Cost([]byte(h))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
