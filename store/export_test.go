package store

// SetClassFilter sets how small a class is filtered by looking each
// student up, and how few matching users are looked up by id (see
// classFilter), and returns a function that puts them back.
func SetClassFilter(small, few int) func() {
	oldSmall, oldFew := smallClass, fewMatches
	smallClass, fewMatches = small, few
	return func() { smallClass, fewMatches = oldSmall, oldFew }
}
