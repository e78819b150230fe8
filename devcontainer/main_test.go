package devcontainer

import (
	"io"
	"os"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestMain quiets compose-go's logrus warnings, as devfix's main does.
func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}
