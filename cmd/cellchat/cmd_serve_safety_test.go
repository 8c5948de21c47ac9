package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestServeWarnsWithoutSafetyNumbers: while the emergency message would
// fall back to generic numbers, serve warns at start naming what to set; the
// hello frame carries the emergency message as configured, for the
// widget's offline notice; the serving line says how to stop.
func TestServeWarnsWithoutSafetyNumbers(t *testing.T) {
	data := t.TempDir()
	cases := []struct {
		name      string
		env       map[string]string
		wantUnset []string
		wantHelp  []string
	}{
		{"none set", nil, []string{"CELLCHAT_EMERGENCY_NUMBER", "CELLCHAT_CARE_TEAM_PHONE"}, []string{"911"}},
		{"care team unset", map[string]string{"CELLCHAT_EMERGENCY_NUMBER": "112"}, []string{"CELLCHAT_CARE_TEAM_PHONE"}, []string{"112"}},
		{"both set", map[string]string{"CELLCHAT_EMERGENCY_NUMBER": "112", "CELLCHAT_CARE_TEAM_PHONE": "the transplant unit on 555-0100"}, nil, []string{"112", "555-0100"}},
		{"whole text set", map[string]string{"CELLCHAT_EMERGENCY_TEXT": "Call 999 or the ward on 555-0199 now."}, nil, []string{"Call 999 or the ward on 555-0199 now."}},
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
