package store

// SetFewMatches sets how many users a filter may match and still count as
// selective, and returns a function that puts it back.
func SetFewMatches(n int) func() {
	old := fewMatches
	fewMatches = n
	return func() { fewMatches = old }
}
