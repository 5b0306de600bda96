package e2e

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/chromedp/chromedp"
)

// viewShot saves what is on screen (the viewport, not the whole page) as
// artifacts/<name>/NN-label.png: how much of the list a phone shows at once.
func (s *stack) viewShot(label string) {
	s.t.Helper()
	buf, err := chromedp.Run(s.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		s.t.Logf("screenshot %s: %v", label, err)
		return
	}
	s.n++
	os.WriteFile(filepath.Join(s.shots, fmt.Sprintf("%02d-%s.png", s.n, label)), buf, 0o644)
}
