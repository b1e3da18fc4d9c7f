package views

// LMSSyncView is a class's LMS page: whether each student's quiz grades
// reached the LMS gradebook.
type LMSSyncView struct {
	Header ClassHeader
	Notice string
	// NoWorker is the warning shown when no worker process runs.
	NoWorker string
	// Sent, Pending and Failed count the rows by status.
	Sent, Pending, Failed int
	Rows                  []LMSSyncRow
	// CanRetry shows the retry button (the viewer manages the class and
	// something failed).
	CanRetry bool
	// RosterURL, when set, is where the roster sync form posts.
	RosterURL string
}

// LMSSyncRow is one student's grade of one quiz and what the LMS has.
type LMSSyncRow struct {
	Student, Email, Quiz string
	// Status is "sent", "pending" or "failed"; Label says it in words.
	Status, Label string
	Grade         string // the grade sent ("—" before any was)
	GradedAt      string // when the grade to send (or sent) was made
	SentAt        string
	Detail        string // the platform's reason, or the last error while pending
}
