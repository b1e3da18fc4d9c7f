//go:build drill

package main

import (
	"errors"
	"time"

	"github.com/twelve-course/twelve/content"
)

// drillCourse makes lesson VI's quiz timed (ten minutes) and limited to two
// attempts in binaries built with `-tags drill`, so that the test of
// recorded starts can start it on real processes. Release builds never
// change the course (drill_off.go).
func drillCourse(c *content.Course) error {
	q, ok := c.Quiz("processes")
	if !ok {
		return errors.New("drill: no processes quiz")
	}
	q.Settings.AttemptLimit, q.Settings.TimeLimit = 2, 10*time.Minute
	return q.Seal()
}
