package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/transcript"
	"github.com/gorilla/websocket"
)

// TestServeWarnsWithoutSafetyNumbers: while the emergency message would
// fall back to generic numbers, serve warns at start naming what to set; the
// hello frame carries the emergency message as configured, for the
// widget's offline notice; the serving line says how to stop; the staff
// dashboard shows the warning too. The console's low-confidence filter
// counts from the engine's no-answer threshold as configured.
func TestServeWarnsWithoutSafetyNumbers(t *testing.T) {
	data := t.TempDir()
	store, err := transcript.Open(context.Background(), transcript.PathIn(data), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.AddStaff(context.Background(), safetyStaff, safetyPassword); err != nil {
		t.Fatal(err)
	}
	store.Close()
	cases := []struct {
		name      string
		env       map[string]string
		wantUnset []string
		wantHelp  []string
		wantLow   string // the low-confidence filter's label
	}{
		{"none set", nil, []string{"CELLCHAT_EMERGENCY_NUMBER", "CELLCHAT_CARE_TEAM_PHONE"}, []string{"911"}, "&lt; 0.65"},
		{"care team unset", map[string]string{"CELLCHAT_EMERGENCY_NUMBER": "112", "CELLCHAT_MIN_CONFIDENCE": "0.3"},
			[]string{"CELLCHAT_CARE_TEAM_PHONE"}, []string{"112"}, "&lt; 0.45"},
		{"both set", map[string]string{"CELLCHAT_EMERGENCY_NUMBER": "112", "CELLCHAT_CARE_TEAM_PHONE": "the transplant unit on 555-0100"}, nil, []string{"112", "555-0100"}, "&lt; 0.65"},
		{"whole text set", map[string]string{"CELLCHAT_EMERGENCY_TEXT": "Call 999 or the ward on 555-0199 now."}, nil, []string{"Call 999 or the ward on 555-0199 now."}, "&lt; 0.65"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, logs, stop := serveInProcess(t, data, tc.env)
			var unset []string
			stopHint := ""
			for _, line := range strings.Split(logs.String(), "\n") {
				var l struct {
					Level, Msg, Stop string
					Unset            []string
				}
				if json.Unmarshal([]byte(line), &l) != nil {
					continue
				}
				if l.Level == "WARN" && strings.Contains(l.Msg, "emergency message") {
					unset = l.Unset
					if !strings.Contains(l.Msg, "911") {
						t.Errorf("warning does not say what patients are told: %q", l.Msg)
					}
				}
				if l.Msg == "serving" {
					stopHint = l.Stop
				}
			}
			if strings.Join(unset, ",") != strings.Join(tc.wantUnset, ",") {
				t.Errorf("warned about %v unset, want %v:\n%s", unset, tc.wantUnset, logs)
			}
			if !strings.Contains(stopHint, "Ctrl+C") {
				t.Errorf("serving line says %q on stopping, want Ctrl+C", stopHint)
			}

			staff := staffSignIn(t, "http://"+addr)
			dashboard := staffPage(t, staff, "http://"+addr+"/staff/dashboard")
			shown := strings.Contains(dashboard, `id="setup-warnings"`)
			if shown != (len(tc.wantUnset) > 0) {
				t.Errorf("dashboard shows a set-up warning: %v, want %v", shown, len(tc.wantUnset) > 0)
			}
			for _, k := range tc.wantUnset {
				if !strings.Contains(dashboard, k) {
					t.Errorf("dashboard warning does not name %s", k)
				}
			}
			if replies := staffPage(t, staff, "http://"+addr+"/staff/"); !strings.Contains(replies, "low confidence ("+tc.wantLow+")") {
				t.Errorf("the low-confidence filter does not say %q", tc.wantLow)
			}

			ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			var hello struct {
				Type       string `json:"type"`
				UrgentHelp string `json:"urgent_help"`
			}
			if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" {
				t.Fatalf("hello: %+v, %v", hello, err)
			}
			for _, want := range tc.wantHelp {
				if !strings.Contains(hello.UrgentHelp, want) {
					t.Errorf("hello urgent_help %q lacks %q", hello.UrgentHelp, want)
				}
			}
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
	}
}

const (
	safetyStaff    = "charge.nurse@clinic.example"
	safetyPassword = "Quiet-Harbour-Lantern-93"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// staffSignIn signs safetyStaff in to the console at base and returns the
// client holding the session.
func staffSignIn(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	m := csrfField.FindStringSubmatch(staffPage(t, c, base+"/staff/signin"))
	if m == nil {
		t.Fatal("the sign-in page has no csrf field")
	}
	resp, err := c.PostForm(base+"/staff/signin", url.Values{"email": {safetyStaff}, "password": {safetyPassword}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return c
}

func staffPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %v", u, resp.StatusCode, err)
	}
	return string(b)
}
