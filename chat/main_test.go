package chat

import (
	"os"
	"testing"
)

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "chat-test-index-") }

func TestMain(m *testing.M) {
	code := m.Run()
	if real.ix != nil {
		real.ix.Close()
	}
	if real.dir != "" {
		os.RemoveAll(real.dir)
	}
	os.Exit(code)
}
