package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// demoIssuer marks synthetic users; real users come from an OpenID issuer URL.
const demoIssuer = "demo:"

// demoChunk is how many students one bulk transaction stores, and
// demoLoaders how many such transactions run at once.
const (
	demoChunk   = 2000
	demoLoaders = 2
)

// demoClassSlugs matches the slugs of demo classes: demo-001 … and demo-big.
const demoClassSlugs = `^demo-([0-9]+|big)$`

// adminDemoData fills the database with synthetic students and attempts of
// the embedded course's quizzes, for trying the instructor reports at scale.
// It refuses to run beside real users unless --force, and replaces the
// demo users and demo classes of an earlier run.
//
// With --classes N, the first N × --class-size students are the students of
// N classes (demo-001 …, in order), the next --big-class students those of
// one more class, demo-big; the rest take the open course in no class. So
// each student is in at most one class and every attempt of theirs is in
// it: 100,000 students in 1,000 classes of 100 plus a class of 20,000 is
// --students 120000 --classes 1000 --class-size 100 --big-class 20000.
func adminDemoData(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("admin demo-data", flag.ContinueOnError)
	fs.SetOutput(stdout)
	students := fs.Int("students", 1000, "how many synthetic students to create")
	seed := fs.Uint64("seed", 1, "random seed: the same seed makes the same students and answers")
	force := fs.Bool("force", false, "add demo students even though the database has real users")
	classes := fs.Int("classes", 0, "how many classes of --class-size students (demo-001 …) the first students are in")
	classSize := fs.Int("class-size", 100, "how many students each of --classes has")
	bigClass := fs.Int("big-class", 0, "how many students the class demo-big has (after those of --classes); 0: no such class")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin demo-data: unexpected argument %q", fs.Arg(0))
	}
	if *students < 1 || *students > 10_000_000 {
		return fmt.Errorf("admin demo-data: --students must be from 1 to 10000000, not %d", *students)
	}
	switch {
	case *classes < 0 || *classes > 99_999:
		return fmt.Errorf("admin demo-data: --classes must be from 0 to 99999, not %d", *classes)
	case *classSize < 1:
		return fmt.Errorf("admin demo-data: --class-size must be at least 1, not %d", *classSize)
	case *bigClass < 0:
		return fmt.Errorf("admin demo-data: --big-class must be 0 or more, not %d", *bigClass)
	case *classes**classSize+*bigClass > *students:
		return fmt.Errorf("admin demo-data: %d classes of %d and a class of %d need %d students; --students is %d",
			*classes, *classSize, *bigClass, *classes**classSize+*bigClass, *students)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL, demoLoaders+1)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.CheckSchema(ctx, pool); err != nil {
		return err
	}
	st := store.New(pool)
	course, err := content.Load(content.Embedded())
	if err != nil {
		return err
	}
	return loadDemoData(ctx, st, course.Quizzes(), demoOptions{Students: *students, Seed: *seed, Force: *force, Now: time.Now(),
		Classes: *classes, ClassSize: *classSize, BigClass: *bigClass}, stdout)
}

type demoOptions struct {
	Students int
	Seed     uint64
	Force    bool
	Now      time.Time // the generated course ends just before this
	// Classes classes of ClassSize students, then one of BigClass (see
	// adminDemoData); the product and sum are within Students.
	Classes, ClassSize, BigClass int
}

// demoClasses are the classes of o, in the order their students come.
func (o demoOptions) demoClasses() []store.BulkClass {
	var out []store.BulkClass
	for i := range o.Classes {
		n := fmt.Sprintf("%03d", i+1)
		out = append(out, store.BulkClass{Slug: "demo-" + n, Name: "Demo class " + n})
	}
	if o.BigClass > 0 {
		out = append(out, store.BulkClass{Slug: "demo-big", Name: "Demo lecture of " + strconv.Itoa(o.BigClass)})
	}
	return out
}

// classOf is the index in demoClasses of the class of the i-th student, or
// -1 for none.
func (o demoOptions) classOf(i int) int {
	switch inClasses := o.Classes * o.ClassSize; {
	case i < inClasses:
		return i / o.ClassSize
	case i < inClasses+o.BigClass:
		return o.Classes
	}
	return -1
}

// errRealUsers refuses demo data beside real users.
var errRealUsers = errors.New("admin demo-data: this database has real users")

func loadDemoData(ctx context.Context, st *store.Store, quizzes map[string]*quiz.Quiz, o demoOptions, stdout io.Writer) error {
	start := time.Now()
	real, err := st.CountUsersNotFrom(ctx, demoIssuer)
	if err != nil {
		return err
	}
	if real > 0 && !o.Force {
		return fmt.Errorf("%w (%d signed in through an identity provider); demo data is for a database of your own. Run it again with --force to add demo students beside them", errRealUsers, real)
	}
	deleted, err := st.DeleteUsersFrom(ctx, demoIssuer)
	if err != nil {
		return err
	}
	if deleted > 0 {
		fmt.Fprintf(stdout, "removed %d demo students of an earlier run\n", deleted)
	}
	if deleted, err := st.DeleteEmptyClasses(ctx, demoClassSlugs); err != nil {
		return err
	} else if deleted > 0 {
		fmt.Fprintf(stdout, "removed %d demo classes of an earlier run\n", deleted)
	}
	classIDs, err := st.BulkCreateClasses(ctx, o.demoClasses())
	if errors.Is(err, store.ErrSlugTaken) {
		return fmt.Errorf("admin demo-data: %w: a class with a demo slug has members who are not demo students; rename or delete it first", err)
	}
	if err != nil {
		return err
	}
	gen, err := newDemoGenerator(quizzes, o.Seed, o.Now)
	if err != nil {
		return err
	}
	var versions []store.QuizVersion
	settings := map[string]quiz.Settings{}
	for _, q := range gen.lessons {
		body, err := q.Body()
		if err != nil {
			return err
		}
		versions = append(versions, store.QuizVersion{Hash: q.Version, Quiz: q.Slug, Body: body})
		settings[q.Slug] = q.Settings
	}
	if err := st.SaveQuizVersions(ctx, versions); err != nil {
		return err
	}

	// Generating the next chunk overlaps storing the previous one.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []store.BulkStudent, 1)
	go func() {
		defer close(chunks)
		for from := 0; from < o.Students; from += demoChunk {
			chunk := make([]store.BulkStudent, 0, demoChunk)
			for i := from; i < min(from+demoChunk, o.Students); i++ {
				s := gen.student(i)
				if c := o.classOf(i); c >= 0 {
					s.Class = classIDs[c]
				}
				chunk = append(chunk, s)
			}
			select {
			case chunks <- chunk:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Two transactions at a time keep both cores of a small machine busy.
	var (
		mu                                        sync.Mutex
		nStudents, nAttempts, nResponses, nextRep int
	)
	var wg sync.WaitGroup
	errs := make([]error, demoLoaders)
	for w := range demoLoaders {
		wg.Go(func() {
			for chunk := range chunks {
				if err := st.BulkSaveAttempts(ctx, chunk, settings); err != nil {
					errs[w] = err
					cancel()
					return
				}
				mu.Lock()
				for _, s := range chunk {
					nAttempts += len(s.Attempts)
					for _, a := range s.Attempts {
						nResponses += len(a.Responses)
					}
				}
				nStudents += len(chunk)
				if nStudents >= nextRep || nStudents == o.Students {
					fmt.Fprintf(stdout, "stored %d of %d students (%d attempts) in %s\n", nStudents, o.Students, nAttempts, time.Since(start).Round(100*time.Millisecond))
					nextRep += max(o.Students/10, demoChunk)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := st.AnalyzeReports(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data: %d students, %d attempts, %d responses in %s (seed %d)\n",
		nStudents, nAttempts, nResponses, time.Since(start).Round(100*time.Millisecond), o.Seed)
	if len(classIDs) > 0 {
		fmt.Fprintf(stdout, "demo classes: %d of %d students (demo-001 …)", o.Classes, o.ClassSize)
		if o.BigClass > 0 {
			fmt.Fprintf(stdout, ", demo-big of %d", o.BigClass)
		}
		fmt.Fprintf(stdout, "; %d students in no class\n", o.Students-o.Classes*o.ClassSize-o.BigClass)
	}
	return nil
}

// demoGenerator makes students of varied ability who answer questions of
// varied difficulty (a two-parameter logistic model with guessing), take
// 1–3 attempts per quiz and improve between them, and sometimes skip
// lessons or drop out. Each student comes from their own random stream, so
// the data depends only on the seed.
type demoGenerator struct {
	seed    uint64
	lessons []*quiz.Quiz // course order
	params  map[string]*demoQuestion
	end     time.Time
}

type demoQuestion struct {
	difficulty     float64
	discrimination float64
	attraction     []float64 // per option: how tempting it is when wrong
}

func newDemoGenerator(quizzes map[string]*quiz.Quiz, seed uint64, end time.Time) (*demoGenerator, error) {
	g := &demoGenerator{seed: seed, params: map[string]*demoQuestion{}, end: end.UTC().Truncate(time.Second)}
	for _, slug := range content.Slugs() {
		q, ok := quizzes[slug]
		if !ok {
			return nil, fmt.Errorf("admin demo-data: the course has no quiz for lesson %q", slug)
		}
		g.lessons = append(g.lessons, q)
		for _, qu := range q.Questions {
			rng := g.rand(slug + "/" + qu.ID)
			p := &demoQuestion{difficulty: rng.NormFloat64()*0.9 - 0.4, discrimination: 0.6 + 1.6*rng.Float64()}
			if rng.Float64() < 0.05 { // now and then a question that does not work
				p.discrimination = -0.2 + 0.4*rng.Float64()
			}
			for range qu.Options {
				p.attraction = append(p.attraction, rng.ExpFloat64())
			}
			g.params[slug+"/"+qu.ID] = p
		}
	}
	return g, nil
}

func (g *demoGenerator) rand(key string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(key))
	return rand.New(rand.NewPCG(g.seed, h.Sum64()))
}

var (
	demoFirst = []string{"Ada", "Amara", "Anh", "Ben", "Björn", "Carmen", "Chen", "Chloé", "Dara", "David", "Elif", "Emma", "Fatima", "Finn", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "José", "Júlia", "Kai", "Kenji", "Lara", "Leila", "Liam", "Lucía", "Maya", "Mateo", "Mei", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Tomás", "Uma", "Vera", "Wei", "Yara", "Yusuf", "Zoë", "Zoltán"}
	demoLast  = []string{"Abebe", "Andersen", "Bianchi", "Brown", "Castro", "Chen", "Cohen", "Da Silva", "Dubois", "Eriksson", "Fernández", "García", "Gupta", "Haddad", "Hoang", "Ivanova", "Jansen", "Kim", "Kowalski", "Kumar", "Larsen", "López", "Martin", "Mensah", "Müller", "Nakamura", "Nguyễn", "Novák", "O'Brien", "Okafor", "Olsen", "Park", "Petrov", "Quispe", "Rossi", "Sato", "Schmidt", "Singh", "Smith", "Søndergaard", "Tanaka", "Torres", "Usman", "Van Dijk", "Wang", "Weber", "Wiśniewski", "Yilmaz", "Zhang", "Żukowski"}
)

// student makes the i-th student (0-based) and their attempts.
func (g *demoGenerator) student(i int) store.BulkStudent {
	rng := rand.New(rand.NewPCG(g.seed, uint64(i)|1<<62))
	first, last := demoFirst[rng.IntN(len(demoFirst))], demoLast[rng.IntN(len(demoLast))]
	n := fmt.Sprintf("%06d", i+1)
	s := store.BulkStudent{
		Issuer: demoIssuer, Subject: "student-" + n, Name: first + " " + last,
		Email: emailPart(first) + "." + emailPart(last) + "." + n + "@demo.example",
	}
	ability := rng.NormFloat64()
	diligence := rng.Float64()
	stopBefore := len(g.lessons) + 1 // the lesson number they never reach
	if rng.Float64() < 0.3 {
		stopBefore = 2 + rng.IntN(len(g.lessons)-1)
	}
	course := 120 * 24 * time.Hour
	t := g.end.Add(-course).Add(time.Duration(rng.Float64() * float64(20*24*time.Hour)))
	s.SignedUp = t
	for n, q := range g.lessons {
		if n+1 >= stopBefore {
			break
		}
		if rng.Float64() < 0.08*(1-diligence) {
			continue // skipped this lesson
		}
		t = t.Add(time.Duration((0.5 + 8*rng.Float64()) * float64(24*time.Hour)))
		theta := ability + 0.15*rng.NormFloat64()
		for attempt := 1; ; attempt++ {
			a, fraction := g.attempt(rng, i, len(s.Attempts), q, theta, t)
			if a.SubmittedAt.After(g.end) {
				break
			}
			s.Attempts = append(s.Attempts, a)
			t = a.SubmittedAt
			if left := q.Settings.AttemptsLeft(attempt); attempt >= 3 || left == 0 {
				break
			}
			passed := q.Settings.Passed(fraction)
			if passed && (fraction >= 1 || rng.Float64() > 0.08) || !passed && rng.Float64() > 0.75 {
				break
			}
			theta += 0.3 + 0.4*rng.Float64() // learning from the review
			t = t.Add(time.Duration((1 + 47*rng.Float64()) * float64(time.Hour)))
		}
	}
	return s
}

// attempt draws a real paper, answers it as a student of ability theta
// would, and grades it with the quiz's own rules.
//
// Its id starts with the student's number and the attempt's number, the
// rest random: bulk loading then appends to the indexes on attempt ids
// rather than touching pages all over them, which keeps loading fast.
func (g *demoGenerator) attempt(rng *rand.Rand, student, n int, q *quiz.Quiz, theta float64, start time.Time) (store.NewAttempt, float64) {
	var id uuid.UUID
	id[0], id[1], id[2], id[3] = byte((student+1)>>24), byte((student+1)>>16), byte((student+1)>>8), byte(student+1)
	id[4], id[5] = byte(n>>8), byte(n)
	for i := 6; i < len(id); i++ {
		id[i] = byte(rng.Uint32())
	}
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	seed := rng.Uint64()
	paper := q.Paper(seed)
	answers := quiz.Answers{}
	for _, it := range paper.Items {
		if a := g.answer(rng, q.Slug, it.Question, theta); a.Answered() {
			answers[it.Question.ID] = a
		}
	}
	res := quiz.Grade(paper, answers)
	minutes := math.Exp(math.Log(9) + 0.45*rng.NormFloat64())
	a := store.NewAttempt{Attempt: store.Attempt{
		ID:   id.String(),
		Quiz: q.Slug, Version: q.Version, Seed: int64(seed),
		StartedAt: start, SubmittedAt: start.Add(time.Duration(minutes * float64(time.Minute))).Truncate(time.Second),
		Score: res.Score, MaxScore: res.Max,
	}}
	for i, r := range res.Items {
		body, _ := json.Marshal(r.Answer) // a quiz.Answer always encodes
		a.Responses = append(a.Responses, store.Response{Position: i, Question: r.QuestionID, Answer: body, Score: r.Score, MaxScore: r.Max})
	}
	return a, res.Fraction()
}

var demoWrongWords = []string{"not sure", "the config file", "a cron job", "restart it", "the cache", "environment"}

// answer is a student's answer to one question: right with a probability
// that grows with ability over the question's difficulty, plus a chance of
// guessing right; wrong options chosen by how tempting each one is.
func (g *demoGenerator) answer(rng *rand.Rand, slug string, qu *quiz.Question, theta float64) quiz.Answer {
	if rng.Float64() < 0.015 {
		return quiz.Answer{} // left blank
	}
	p := g.params[slug+"/"+qu.ID]
	know := 1 / (1 + math.Exp(-1.7*p.discrimination*(theta-p.difficulty)))
	switch qu.Type {
	case quiz.Single:
		guess := 1 / float64(len(qu.Options))
		if rng.Float64() < guess+(1-guess)*know {
			return quiz.Answer{Choices: []string{qu.RightAnswer().Choices[0]}}
		}
		return quiz.Answer{Choices: []string{g.tempting(rng, p, qu)}}
	case quiz.Multiple:
		var a quiz.Answer
		for i, o := range qu.Options {
			chance := (1 - know) * math.Min(0.9, 0.35*p.attraction[i])
			if o.Correct {
				chance = 0.35 + 0.65*know
			}
			if rng.Float64() < chance {
				a.Choices = append(a.Choices, o.ID)
			}
		}
		if len(a.Choices) == 0 {
			// A student ticks something: the most tempting wrong option, or
			// the first one when every option is right.
			pick := g.tempting(rng, p, qu)
			if pick == "" {
				pick = qu.Options[0].ID
			}
			a.Choices = []string{pick}
		}
		slices.Sort(a.Choices) // as a submitted form decodes them
		return a
	case quiz.TrueFalse:
		v := qu.Truth
		if rng.Float64() >= 0.5+0.5*know {
			v = !v
		}
		return quiz.Answer{Truth: &v}
	case quiz.Numeric:
		n := qu.Number
		if rng.Float64() >= know {
			n += (qu.Tolerance + math.Max(1, math.Abs(qu.Number)/4)) * float64(1+rng.IntN(3)) * float64(1-2*rng.IntN(2))
		}
		return quiz.Answer{Number: &n, Raw: strconv.FormatFloat(n, 'f', -1, 64)}
	case quiz.Text:
		if rng.Float64() < know {
			return quiz.Answer{Raw: qu.Accept[rng.IntN(len(qu.Accept))]}
		}
		return quiz.Answer{Raw: demoWrongWords[rng.IntN(len(demoWrongWords))]}
	}
	return quiz.Answer{}
}

// tempting picks a wrong option, weighted by how tempting each is.
func (g *demoGenerator) tempting(rng *rand.Rand, p *demoQuestion, qu *quiz.Question) string {
	var sum float64
	for i, o := range qu.Options {
		if !o.Correct {
			sum += p.attraction[i]
		}
	}
	x := rng.Float64() * sum
	pick := ""
	for i, o := range qu.Options {
		if o.Correct {
			continue
		}
		pick = o.ID
		if x -= p.attraction[i]; x < 0 {
			break
		}
	}
	if pick == "" { // every option is right
		pick = qu.Options[0].ID
	}
	return pick
}

// emailPart is a name as it may appear in an email address: ASCII letters.
func emailPart(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case strings.ContainsRune("áàâäãåą", r):
			b.WriteByte('a')
		case strings.ContainsRune("éèêëęễ", r):
			b.WriteByte('e')
		case strings.ContainsRune("íìîï", r):
			b.WriteByte('i')
		case strings.ContainsRune("óòôöõøő", r):
			b.WriteByte('o')
		case strings.ContainsRune("úùûüű", r):
			b.WriteByte('u')
		case strings.ContainsRune("śš", r):
			b.WriteByte('s')
		case strings.ContainsRune("żźž", r):
			b.WriteByte('z')
		case r == 'ç':
			b.WriteByte('c')
		case r == 'ñ':
			b.WriteByte('n')
		}
	}
	return b.String()
}
