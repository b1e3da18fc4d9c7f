package views

// FormError is a problem with one form field: the field's id, for the
// error summary's link, and the sentence shown there and beside it.
type FormError struct {
	ID  string
	Msg string
}

// ClassField is one input of a class form: its value as typed and its
// problem, if any.
type ClassField struct {
	ID, Name, Value, Error string
	// Placeholder shows what a blank field means ("quiz default: 3").
	Placeholder string
}

// Invalid reports whether the field has a problem.
func (f ClassField) Invalid() bool { return f.Error != "" }

// ClassForm is the form that creates or edits a class.
type ClassForm struct {
	Action                         string
	Name, Slug, Zone, Starts, Ends ClassField
	WithSlug                       bool // creating: the slug is chosen once
	Submit                         string
}

// ClassListRow is one class in the list of classes.
type ClassListRow struct {
	Name, URL, Slug string
	Role            string // "course staff", "instructor", "teaching assistant"
	Students        string
	Dates           string
	Archived        bool
}

// ClassesView is the list of classes at /instructor/classes.
type ClassesView struct {
	Classes []ClassListRow
	// Create is the form for a new class; only course staff see it.
	CanCreate bool
	Create    ClassForm
	Errors    []FormError
	Zones     []string
}

// ClassSwitch is one entry of the class switcher.
type ClassSwitch struct {
	Slug, Name string
	Current    bool
}

// ClassHeader is what every page of one class shows at its top.
type ClassHeader struct {
	Name, Slug, URL string
	Zone            string
	Archived        bool
	Manage          bool // the viewer may change the class
	// Switch lists every class for course staff (nil for others).
	Switch []ClassSwitch
	// Current names the class page: "overview", "roster", "quizzes",
	// "accommodations", "lms".
	Current string
	// LMS is true for a class that is an LMS course: the nav links to
	// its LMS grades page.
	LMS bool
}

// ClassMemberRow is one member in a class's roster.
type ClassMemberRow struct {
	UserID                   string
	Name, Email, Role, Via   string
	Student                  bool
	Attempted, Passed, Total string
	StudentURL               string
	CanRemove                bool
}

// ClassInviteRow is one invite not yet taken up.
type ClassInviteRow struct {
	Email, Name, Role string
}

// ClassView is a class's overview at /instructor/classes/:slug.
type ClassView struct {
	Header ClassHeader
	Dates  string
	// JoinURL is the join link, "" when it is off.
	JoinURL  string
	Students string
	Lessons  int
	Members  []ClassMemberRow
	Invites  []ClassInviteRow
	Notice   string
	Edit     ClassForm
	Errors   []FormError
	Zones    []string
	// Staff is the add-staff form's email and role, with its problem.
	StaffEmail ClassField
	StaffRole  string
	// LMS is the LMS course the class was made from; nil for a class
	// made in Twelve.
	LMS *ClassLMS
}

// ClassLMS is the LMS course of a class made by an LTI launch.
type ClassLMS struct {
	Platform string
	// Synced is when the roster was last synced from the LMS ("never").
	Synced string
	// CanSync is whether the LMS has offered its roster service.
	CanSync bool
}

// RosterRowView is one row of a roster preview.
type RosterRowView struct {
	Line, Email, Name, Role string
	Problem                 string
}

// RosterView is the roster upload at /instructor/classes/:slug/roster.
type RosterView struct {
	Header ClassHeader
	// CSV is the roster as sent, carried from the preview to the confirm.
	CSV       string
	Error     string
	Previewed bool
	Rows      []RosterRowView
	Good, Bad int
	MaxRows   int
}

// QuizSettingsRow is one lesson's quiz in the class's settings table.
type QuizSettingsRow struct {
	Slug, Numeral, Title              string
	OpensAt, DueAt, ClosesAt          ClassField
	AttemptLimit, TimeLimit, PassMark ClassField
	Grading, Late                     ClassField
	PerDay, Floor                     ClassField
	DefaultGrading                    string
	// Answers is when right answers show in review (the review option
	// right_answers); DefaultAnswers the quiz's own.
	Answers        ClassField
	DefaultAnswers string
}

// RightAnswersChoices are the values of a quiz's right_answers option,
// with what each means.
var RightAnswersChoices = [][2]string{
	{"always", "always"},
	{"passed-or-limit", "once passed or out of attempts"},
	{"limit-used", "once out of attempts"},
	{"never", "never"},
}

// QuizSettingsView is the table of a class's quiz settings.
type QuizSettingsView struct {
	Header ClassHeader
	Rows   []QuizSettingsRow
	Errors []FormError
	Saved  bool
}

// AccommodationRow is one accommodation in a class.
type AccommodationRow struct {
	UserID, Quiz             string
	Student, QuizTitle       string
	ExtraTime, ExtraAttempts string
	DueAt, ClosesAt, Note    string
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// AccommodationsView is a class's accommodations page.
type AccommodationsView struct {
	Header                    ClassHeader
	Rows                      []AccommodationRow
	Students                  []Option
	Quizzes                   []Option
	Factor, Minutes, Attempts ClassField
	DueAt, ClosesAt, Note     ClassField
	Student, Quiz             ClassField
	Errors                    []FormError
	Notice                    string
}
