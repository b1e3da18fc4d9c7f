package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/store"
)

// classPagesApp is the app with a class directory over its store, and a cast:
// ines is course staff; in class cs101 ivy is an instructor, tom a TA and
// sam a student; olga is an instructor of cs102 only; stu is in no class.
type classPagesApp struct {
	*quizApp
	t                              *testing.T
	dir                            *classes.Directory
	cs101, cs102                   store.Class
	ines, ivy, tom, sam, olga, stu student
}

func newClassPagesApp(t *testing.T) *classPagesApp {
	t.Helper()
	var dir *classes.Directory
	q := newQuizApp(t, "", nil, map[string]string{"BASE_URL": "http://course.example.test"}, func(d *Deps) {
		dir = classes.New(classes.FromStore(d.Store), d.Logger)
		d.Classes = dir
	})
	a := &classPagesApp{quizApp: q, t: t, dir: dir}
	a.ines = a.signIn("ines", "ines@example.edu")
	a.ivy = a.signIn("ivy", "ivy@example.edu")
	a.tom = a.signIn("tom", "tom@example.edu")
	a.sam = a.signIn("sam", "sam@example.edu")
	a.olga = a.signIn("olga", "olga@example.edu")
	a.stu = a.signIn("stu", "stu@example.edu")
	a.cs101 = a.makeClass("cs101", "CS 101", "Europe/Berlin")
	a.cs102 = a.makeClass("cs102", "CS 102", "UTC")
	a.addMember(a.cs101, a.ivy, store.RoleInstructor)
	a.addMember(a.cs101, a.tom, store.RoleTA)
	a.addMember(a.cs101, a.sam, store.RoleStudent)
	a.addMember(a.cs102, a.olga, store.RoleInstructor)
	return a
}

func (a *classPagesApp) makeClass(slug, name, zone string) store.Class {
	a.t.Helper()
	c, err := a.store.CreateClass(context.Background(), store.Class{Slug: slug, Name: name, TimeZone: zone, JoinCode: classes.NewJoinCode()})
	if err != nil {
		a.t.Fatal(err)
	}
	a.reload(c.ID)
	return c
}

func (a *classPagesApp) addMember(c store.Class, s student, role string) {
	a.t.Helper()
	if _, err := a.store.AddMember(context.Background(), c.ID, s.id, role, store.ViaAdmin); err != nil {
		a.t.Fatal(err)
	}
	a.reload(c.ID)
}

func (a *classPagesApp) reload(id int64) {
	a.t.Helper()
	if err := a.dir.Reload(context.Background(), id); err != nil {
		a.t.Fatal(err)
	}
}

// class is the class with slug as stored now.
func (a *classPagesApp) class(slug string) store.Class {
	a.t.Helper()
	c, err := a.store.ClassBySlug(context.Background(), slug)
	if err != nil {
		a.t.Fatal(err)
	}
	return c
}

// state is everything stored about every class, to compare before and
// after a request that must change nothing.
func (a *classPagesApp) state() string {
	a.t.Helper()
	ctx := context.Background()
	snaps, err := a.store.LoadClasses(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	var b bytes.Buffer
	for _, s := range snaps {
		invites, err := a.store.ClassInvites(ctx, s.Class.ID)
		if err != nil {
			a.t.Fatal(err)
		}
		// JSON shows what pointers point to, so equal states print equal.
		j, err := json.Marshal(struct {
			Snap    store.ClassSnapshot
			Invites []store.Invite
		}{s, invites})
		if err != nil {
			a.t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// postMultipart sends fields and one file as s, as a browser's upload.
func (a *classPagesApp) postMultipart(s *student, path string, fields map[string]string, fileField, fileName, file string) *httptest.ResponseRecorder {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			a.t.Fatal(err)
		}
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, fileName)
		if err != nil {
			a.t.Fatal(err)
		}
		fw.Write([]byte(file))
	}
	mw.Close()
	r := httptest.NewRequest("POST", path, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if s != nil {
		r.AddCookie(s.cookie)
	}
	return serve(a.e, r)
}

// fields is a shorthand for url.Values from name, value pairs.
func fields(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, want int) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("status %d, want %d; Location %q; body:\n%.3000s", w.Code, want, w.Header().Get("Location"), w.Body)
	}
}

var _ = http.StatusOK
