package browser

import "testing"

// TestPhoneLayout: at 390×844 CSS px (a phone, with touch) the course
// home, a lesson and a quiz fit the width without sideways scrolling, and
// every pointer target is at least 24×24 px (WCAG 2.2, 2.5.8).
func TestPhoneLayout(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)
	b.phone()

	b.open("/")
	b.checkPhoneLayout("home")

	b.open("/lessons/" + journeySlug)
	b.checkPhoneLayout("lesson")
	b.checkPage("phone-lesson")
	b.screenshot("phone-lesson")

	b.open("/lessons/" + journeySlug + "/quiz")
	b.signInAs("student-ada")
	b.wantPath("/lessons/" + journeySlug + "/quiz")
	b.checkPhoneLayout("quiz")
	b.checkPage("phone-quiz")
	b.screenshot("phone-quiz")
}
