package grades_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/twelve-course/twelve/grades"
	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/store"
)

func TestScoreDelivered(t *testing.T) {
	f := newFixture(t)
	sam := f.student(t, "sam")
	f.submit(t, sam, 1) // 50%
	f.worker(t, "w1")
	r := f.waitStatus(t, sam, store.LTIScoreSent)
	if r.Grade == nil || *r.Grade != 0.5 || r.SentAt == nil || r.Error != "" {
		t.Errorf("row = %+v, want sent with grade 0.5", r)
	}
	f.checkRecorded(t, "sam", sam)
	items := f.platform.LineItems()
	if len(items) != 1 || items[0].Label != "Config quiz" || items[0].ScoreMaximum != 100 || items[0].ResourceID != "config" || items[0].Tag != grades.LineItemTag {
		t.Fatalf("line items = %+v, want one \"Config quiz\" of 100, resourceId config, tag %s", items, grades.LineItemTag)
	}
	url, err := f.st.LTILineItem(context.Background(), f.class.ID, "config")
	if err != nil || url != items[0].ID {
		t.Errorf("stored line item = %q, %v; want %q", url, err, items[0].ID)
	}

	// The next grade goes to the same column, found stored.
	f.submit(t, sam, 2)
	f.waitStatus(t, sam, store.LTIScoreSent)
	f.checkRecorded(t, "sam", sam)
	if n := len(f.platform.LineItems()); n != 1 {
		t.Errorf("%d line items after a second grade, want 1", n)
	}
}

func TestScoreFindsTheLMSLineItem(t *testing.T) {
	f := newFixture(t)
	sam, ivy := f.student(t, "sam"), f.student(t, "ivy")
	f.submit(t, sam, 1)
	f.worker(t, "w1")
	f.waitStatus(t, sam, store.LTIScoreSent)
	// Forget the stored column: the next grade finds it by resourceId.
	if _, err := f.st.Pool().Exec(context.Background(), `DELETE FROM lti_lineitems`); err != nil {
		t.Fatal(err)
	}
	f.submit(t, ivy, 2)
	f.waitStatus(t, ivy, store.LTIScoreSent)
	f.checkRecorded(t, "ivy", ivy)
	if n := len(f.platform.LineItems()); n != 1 {
		t.Errorf("%d line items, want the one found by resourceId", n)
	}
}

func TestNotAnLMSUser(t *testing.T) {
	f := newFixture(t)
	f.student(t, "sam") // makes the class
	var ada int64
	err := f.st.Pool().QueryRow(context.Background(), `INSERT INTO users (issuer, subject, name) VALUES ('https://idp.test', 'ada', 'Ada') RETURNING id`).Scan(&ada)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddMember(context.Background(), f.class.ID, ada, store.RoleStudent, store.ViaAdmin); err != nil {
		t.Fatal(err)
	}
	f.submit(t, ada, 2)
	f.worker(t, "w1")
	if r := f.waitStatus(t, ada, store.LTIScoreFailed); r.Error != grades.ReasonNotLMSUser {
		t.Errorf("error = %q, want %q", r.Error, grades.ReasonNotLMSUser)
	}
	if n := len(f.platform.Scores()); n != 0 {
		t.Errorf("the platform got %d scores, want none", n)
	}
}

func TestRetriedStatuses(t *testing.T) {
	for _, status := range []int{429, 500, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFixture(t)
			sam := f.student(t, "sam")
			if err := f.platform.Misbehave(ltiplatform.ScoreStatus(status, 2)); err != nil {
				t.Fatal(err)
			}
			f.submit(t, sam, 2)
			f.worker(t, "w1")
			f.waitStatus(t, sam, store.LTIScoreSent)
			f.checkRecorded(t, "sam", sam)
			var attempt int
			if err := f.st.Pool().QueryRow(context.Background(), `SELECT attempt FROM river_job WHERE kind = 'lti_score'`).Scan(&attempt); err != nil {
				t.Fatal(err)
			}
			if attempt != 3 {
				t.Errorf("the job ran %d times, want 3 (two refusals, then sent)", attempt)
			}
		})
	}
}

func TestRefusedStatuses(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFixture(t)
			sam := f.student(t, "sam")
			if err := f.platform.Misbehave(ltiplatform.ScoreStatus(status, 0)); err != nil {
				t.Fatal(err)
			}
			f.submit(t, sam, 2)
			f.worker(t, "w1")
			r := f.waitStatus(t, sam, store.LTIScoreFailed)
			if want := fmt.Sprintf("the LMS answered %d: ", status); !strings.HasPrefix(r.Error, want) || !strings.Contains(r.Error, "misbehaviour") {
				t.Errorf("error = %q, want %q and the platform's message", r.Error, want)
			}
			if _, ok := f.recorded(t, "sam"); ok {
				t.Error("the platform recorded a score it refused")
			}
			// The LMS is fixed; the instructor retries.
			f.platform.Clear()
			if n, err := f.st.RetryLTIScores(context.Background(), f.class.ID); err != nil || n != 1 {
				t.Fatalf("RetryLTIScores = %d, %v; want 1", n, err)
			}
			f.waitStatus(t, sam, store.LTIScoreSent)
			f.checkRecorded(t, "sam", sam)
		})
	}
}

func TestHangingScoreEndpointTimesOut(t *testing.T) {
	f := newFixture(t)
	f.timeout = 300 * time.Millisecond
	sam := f.student(t, "sam")
	if err := f.platform.Misbehave(ltiplatform.ScoreDelay(time.Minute, 1)); err != nil {
		t.Fatal(err)
	}
	f.submit(t, sam, 2)
	f.worker(t, "w1")
	f.waitStatus(t, sam, store.LTIScoreSent)
	f.checkRecorded(t, "sam", sam)
}

func TestNewerGradeDuringDelivery(t *testing.T) {
	f := newFixture(t)
	sam := f.student(t, "sam")
	ctx := context.Background()
	// The first post hangs until the second submit is in.
	if err := f.platform.Misbehave(ltiplatform.ScoreDelay(3*time.Second, 1)); err != nil {
		t.Fatal(err)
	}
	f.submit(t, sam, 2) // 100%
	f.worker(t, "w1")
	waitFor(t, "the job to run", func() bool {
		var n int
		_ = f.st.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'running'`).Scan(&n)
		return n == 1
	})
	f.submit(t, sam, 1) // latest grading: 50%
	r := f.waitStatus(t, sam, store.LTIScoreSent)
	if r.Grade == nil || *r.Grade != 0.5 {
		t.Errorf("row = %+v, want the newer grade 0.5 sent", r)
	}
	s := f.checkRecorded(t, "sam", sam)
	if s.Ignored != 0 {
		t.Errorf("the platform ignored %d older scores: an earlier grade was posted after a later one", s.Ignored)
	}
}

func TestEarlierGradeNeverOverwritesLater(t *testing.T) {
	f := newFixture(t)
	sam := f.student(t, "sam")
	ctx := context.Background()
	f.submit(t, sam, 2)
	f.worker(t, "w1")
	first := f.waitStatus(t, sam, store.LTIScoreSent)
	f.submit(t, sam, 1)
	f.waitStatus(t, sam, store.LTIScoreSent)
	before := f.checkRecorded(t, "sam", sam)

	// A grade outcome of the first grade, arriving late (a slow process),
	// changes nothing...
	err := f.st.FinishLTIScore(ctx, store.LTIScoreKey{ClassID: f.class.ID, UserID: sam, Quiz: "config"},
		store.LTIScoreOutcome{GradedAt: first.GradedAt, Grade: 1, Sent: true}, nil)
	if err == nil {
		t.Error("FinishLTIScore took an outcome older than the row's")
	}
	// ...and a repeated job sends nothing the platform has.
	jobs, err := river.NewClient(riverpgxv5.New(f.st.Pool()), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := jobs.Insert(ctx, store.LTIScoreArgs{ClassID: f.class.ID, UserID: sam, Quiz: "config"}, nil)
	if err != nil || res.UniqueSkippedAsDuplicate {
		t.Fatalf("insert a repeated job: %+v, %v", res, err)
	}
	waitFor(t, "the repeated job to finish", func() bool {
		var state string
		_ = f.st.Pool().QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, res.Job.ID).Scan(&state)
		return state == "completed"
	})
	after := f.checkRecorded(t, "sam", sam)
	if after.Posts != before.Posts || after.Ignored != 0 {
		t.Errorf("posts %d → %d (ignored %d): a repeated job posted again", before.Posts, after.Posts, after.Ignored)
	}
}

func TestTwoWorkersDeliverOncePerLatestGrade(t *testing.T) {
	f := newFixture(t)
	const students = 30
	users := make([]int64, students)
	for i := range users {
		users[i] = f.student(t, fmt.Sprintf("s%02d", i))
	}
	// Three grades each, queued before any worker runs: one post each.
	for round := range 3 {
		for _, u := range users {
			f.submit(t, u, float64((round+int(u))%3))
		}
	}
	f.worker(t, "w1")
	f.worker(t, "w2")
	for i, u := range users {
		f.waitStatus(t, u, store.LTIScoreSent)
		s := f.checkRecorded(t, fmt.Sprintf("s%02d", i), u)
		if s.Posts != 1 {
			t.Errorf("s%02d: %d posts, want 1", i, s.Posts)
		}
	}

	// Grades while both run: every latest one arrives, none is ignored
	// (posted after a later one).
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			for round := range 3 {
				if err := f.trySubmit(u, float64((round+int(u)+1)%3)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i, u := range users {
		f.waitStatus(t, u, store.LTIScoreSent)
		s := f.checkRecorded(t, fmt.Sprintf("s%02d", i), u)
		if s.Ignored != 0 {
			t.Errorf("s%02d: %d scores ignored as older than one posted before", i, s.Ignored)
		}
	}
	if n := len(f.platform.LineItems()); n != 1 {
		t.Errorf("%d line items made by two workers, want 1", n)
	}
}

func TestPlatformRemovedWhileWaiting(t *testing.T) {
	f := newFixture(t)
	sam := f.student(t, "sam")
	f.submit(t, sam, 2)
	if err := f.st.RemoveLTIPlatform(context.Background(), f.lms.ID); err != nil {
		t.Fatal(err)
	}
	f.worker(t, "w1")
	var r store.LTIScore
	waitFor(t, "the waiting grade refused", func() bool {
		r = f.row(t, sam)
		return r.Status == store.LTIScoreFailed
	})
	if r.Error != grades.ReasonNotLMSCourse {
		t.Errorf("error = %q, want %q", r.Error, grades.ReasonNotLMSCourse)
	}
}
