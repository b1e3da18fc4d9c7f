package views

// ReportScope is what an instructor report covers, and where its pages
// are: the whole course (Class "", Base "/instructor") or one class (its
// name, and Base "/instructor/classes/SLUG"). The gradebook is at
// Base/gradebook, its CSV at Base/gradebook.csv, a quiz's statistics at
// Base/quizzes/SLUG and a student at Base/students/ID; the overview is Base.
type ReportScope struct {
	Class string
	Base  string
}

// Course reports whether the scope is the whole course.
func (s ReportScope) Course() bool { return s.Class == "" }

// GradebookURL is the scope's gradebook page.
func (s ReportScope) GradebookURL() string { return s.Base + "/gradebook" }

// CSVURL is the scope's gradebook as CSV.
func (s ReportScope) CSVURL() string { return s.Base + "/gradebook.csv" }

// CanvasURL and MoodleURL are the scope's gradebook as each LMS imports it.
func (s ReportScope) CanvasURL() string { return s.Base + "/gradebook-canvas.csv" }
func (s ReportScope) MoodleURL() string { return s.Base + "/gradebook-moodle.csv" }

// QuizURL is a quiz's item statistics in the scope.
func (s ReportScope) QuizURL(slug string) string { return s.Base + "/quizzes/" + slug }

// OverviewView is the instructor's view of the cohort.
type OverviewView struct {
	Scope     ReportScope
	Students  string // everyone who has signed in
	Active    string // with at least one attempt
	Completed string // passed every lesson
	MeanTotal string // mean course total of active students
	Lessons   []OverviewLesson
	PassChart BarChart
	MeanChart BarChart
	// TotalChart is the distribution of course totals; TotalBands its table.
	TotalChart BarChart
	TotalBands []BandRow
}

// OverviewLesson is one lesson's line of the overview.
type OverviewLesson struct {
	Numeral  string
	Title    string
	Slug     string
	Students string // with at least one attempt
	Attempts string
	Passed   string
	PassRate string // "—" with no attempt
	Mean     string // mean graded score
	Method   string // the quiz's grading method
}

// BandRow is one row of a distribution's table.
type BandRow struct {
	Label    string
	Count    string
	Fraction string
}

// GradebookView is one page of the gradebook.
type GradebookView struct {
	Scope    ReportScope
	Filter   string
	Sort     string // the sort key: name, email, total or a lesson slug
	Desc     bool
	Count    string // students matching the filter
	Columns  []GradebookColumn
	Rows     []GradebookLine
	PrevURL  string // "" on the first page
	NextURL  string // "" on the last page
	FirstURL string
	CSVURL   string
}

// GradebookColumn is a sortable column header.
type GradebookColumn struct {
	Key      string // sort key
	Label    string
	Title    string // the full name, e.g. the lesson's title
	SortURL  string // sorts by this column (toggling direction when sorted)
	AriaSort string // "ascending", "descending" or "" when unsorted
	Numeric  bool
}

// GradebookLine is one student's row.
type GradebookLine struct {
	StudentURL string
	Name       string
	Email      string
	Cells      []GradeCell
	Total      string
	// NotStarted is a student with no graded attempt yet (such as a
	// member brought in by an LMS roster sync who never launched).
	NotStarted bool
}

// GradeCell is a lesson grade: "" when the student has no attempt.
type GradeCell struct {
	Grade  string
	Passed bool
}

// StudentView is one student, for instructors.
type StudentView struct {
	Scope    ReportScope
	Name     string
	Email    string
	Since    string
	Total    string
	Passes   string
	Lessons  []StudentLesson
	Attempts int
}

// StudentLesson is one lesson's grade and attempts of a student.
type StudentLesson struct {
	Numeral  string
	Title    string
	Slug     string
	Grade    string // "—" before any attempt
	Method   string
	Passed   bool
	Attempts []StudentAttempt
}

// StudentAttempt is one attempt in an instructor's list.
type StudentAttempt struct {
	ReviewURL string
	No        string
	Score     string
	TimeTaken string
	Submitted string
	Late      string // "late", "late, −20%" or "" when on time
}

// StatsView is a quiz's item statistics.
type StatsView struct {
	Scope     ReportScope
	Numeral   string
	Title     string
	Slug      string
	All       bool   // all attempts rather than first attempts
	FirstURL  string // the page counting first attempts
	AllURL    string // the page counting all attempts
	Attempts  string
	Slots     string
	Draw      string // questions per paper
	Bank      string // questions in the bank
	Test      []StatFact
	Chart     BarChart
	Bands     []BandRow
	Questions []QuestionRow
}

// StatFact is one test-level figure.
type StatFact struct {
	Key   string // data-testid suffix
	Label string
	Value string
	Help  string
}

// QuestionRow is one question's statistics.
type QuestionRow struct {
	Number         int
	ID             string
	Prompt         string
	Type           string
	Attempts       string
	AttemptsText   string // "1 attempt", "12 attempts"
	Facility       string
	SD             string
	Discrimination string
	Efficiency     string
	Flag           string // why the question deserves a look, or ""
	Options        []OptionRow
	NoChoice       string // attempts that chose no option; "" for non-choice questions
	Retired        bool   // no longer in the current bank
}

// OptionRow is how often one option was chosen.
type OptionRow struct {
	Text    string
	Correct bool
	Count   string
	Percent string
}
