package ltiplatform

import "fmt"

// LIS role URIs the platform sends (full URIs, as LTI 1.3 asks).
const (
	RoleLearner            = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
	RoleInstructor         = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
	RoleTeachingAssistant  = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
	RoleInstitutionStudent = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"
	RoleInstitutionFaculty = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty"
)

// User is a member of the course.
type User struct {
	// ID names the user in launch URLs (user=student); Subject is the sub
	// claim and the NRPS user_id.
	ID         string   `json:"id"`
	Subject    string   `json:"sub"`
	Name       string   `json:"name"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
	Email      string   `json:"email"`
	Roles      []string `json:"roles"`
}

// Role is a short word for the user's course role, for pages.
func (u User) Role() string {
	for _, r := range u.Roles {
		switch r {
		case RoleInstructor:
			return "instructor"
		case RoleTeachingAssistant:
			return "teaching assistant"
		}
	}
	return "student"
}

// Teaches reports whether the user may deep link (instructors and TAs).
func (u User) Teaches() bool { return u.Role() != "student" }

// DemoUsers returns the course's members: two students, an instructor and
// a teaching assistant, with launch ids student, student2, instructor, ta.
func DemoUsers() []User {
	return []User{
		{ID: "student", Subject: "lms-user-sam", Name: "Sam Student", GivenName: "Sam", FamilyName: "Student",
			Email: "sam@lms.example", Roles: []string{RoleLearner, RoleInstitutionStudent}},
		{ID: "student2", Subject: "lms-user-ria", Name: "Ria Learner", GivenName: "Ria", FamilyName: "Learner",
			Email: "ria@lms.example", Roles: []string{RoleLearner, RoleInstitutionStudent}},
		{ID: "instructor", Subject: "lms-user-iris", Name: "Iris Instructor", GivenName: "Iris", FamilyName: "Instructor",
			Email: "iris@lms.example", Roles: []string{RoleInstructor, RoleInstitutionFaculty}},
		{ID: "ta", Subject: "lms-user-theo", Name: "Theo Assistant", GivenName: "Theo", FamilyName: "Assistant",
			Email: "theo@lms.example", Roles: []string{RoleTeachingAssistant}},
	}
}

// AddMembers adds n students to the course roster (for roster tests), named
// "Member 1"…, and returns them. They can be launched by ID too.
func (p *Platform) AddMembers(n int) []User {
	p.mu.Lock()
	defer p.mu.Unlock()
	added := make([]User, 0, max(n, 0))
	for range n {
		i := len(p.st.members) + 1
		u := User{
			ID:         fmt.Sprintf("member%d", i),
			Subject:    fmt.Sprintf("lms-member-%d", i),
			Name:       fmt.Sprintf("Member %d", i),
			GivenName:  "Member",
			FamilyName: fmt.Sprint(i),
			Email:      fmt.Sprintf("member%d@lms.example", i),
			Roles:      []string{RoleLearner},
		}
		p.st.members = append(p.st.members, u)
		added = append(added, u)
	}
	return added
}

// Members returns the course roster.
func (p *Platform) Members() []User {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]User(nil), p.st.members...)
}

// userLocked finds a member by launch id or subject. p.mu must be held.
func (p *Platform) userLocked(id string) (User, bool) {
	for _, u := range p.st.members {
		if u.ID == id || u.Subject == id {
			return u, true
		}
	}
	return User{}, false
}
