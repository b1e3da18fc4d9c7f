package views

import (
	"math"
	"strconv"
)

// BarChart is a small bar chart drawn as SVG on the server: no script. It
// is an image to assistive technology (role="img" with a title and a
// description); the page puts the same numbers in a table beside it.
type BarChart struct {
	ID    string // unique on the page; names the title and description
	Title string
	Desc  string
	Max   float64 // top of the scale; 0 means the largest value
	Unit  string  // appended to axis labels, e.g. "%"
	Bars  []Bar
}

// Bar is one bar.
type Bar struct {
	Label string // under the bar
	Value float64
	Text  string // above the bar, e.g. "85%"
	Hint  string // tooltip (an SVG <title>), e.g. the lesson's name
}

// Chart geometry, in SVG user units.
const (
	chartW      = 640.0
	chartH      = 240.0
	chartLeft   = 44.0
	chartRight  = 8.0
	chartTop    = 22.0
	chartBottom = 28.0
)

// chartBar is one bar laid out.
type chartBar struct {
	X, Y, W, H    string
	LabelX, TextY string
	Label, Text   string
	Hint          string
	LabelY        string
}

// gridLine is one horizontal rule of the scale.
type gridLine struct {
	Y, Label string
}

// scaleMax is the top of the scale: Max, or else the largest value rounded
// up so that the four steps of the grid are whole, round numbers.
func (c BarChart) scaleMax() float64 {
	if c.Max > 0 {
		return c.Max
	}
	var top float64
	for _, b := range c.Bars {
		top = max(top, b.Value)
	}
	var step float64
	for p := 1.0; ; p *= 10 {
		if s := niceStep(top/4, p); s > 0 {
			step = s
			break
		}
	}
	return 4 * step
}

// niceStep is the smallest of 1, 2, 2.5 (from 10 up) and 5 times p that
// is at least want, or 0 when even 5p is too small.
func niceStep(want, p float64) float64 {
	for _, f := range []float64{1, 2, 2.5, 5} {
		if f == 2.5 && p < 10 {
			continue
		}
		if f*p >= want {
			return f * p
		}
	}
	return 0
}

func (c BarChart) viewBox() string {
	return "0 0 " + svgNum(chartW) + " " + svgNum(chartH)
}

func (c BarChart) plotHeight() float64 { return chartH - chartTop - chartBottom }

func (c BarChart) layout() []chartBar {
	top := c.scaleMax()
	n := max(1, len(c.Bars))
	slot := (chartW - chartLeft - chartRight) / float64(n)
	w := slot * 0.7
	out := make([]chartBar, 0, len(c.Bars))
	for i, b := range c.Bars {
		h := c.plotHeight() * math.Max(0, math.Min(b.Value, top)) / top
		x := chartLeft + slot*float64(i) + (slot-w)/2
		y := chartTop + c.plotHeight() - h
		out = append(out, chartBar{
			X: svgNum(x), Y: svgNum(y), W: svgNum(w), H: svgNum(h),
			LabelX: svgNum(x + w/2), LabelY: svgNum(chartH - 9), TextY: svgNum(y - 5),
			Label: b.Label, Text: b.Text, Hint: b.Hint,
		})
	}
	return out
}

// grid is the scale: rules at 0, ¼, ½, ¾ and all of the maximum.
func (c BarChart) grid() []gridLine {
	top := c.scaleMax()
	var out []gridLine
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := chartTop + c.plotHeight()*(1-float64(i)/4)
		out = append(out, gridLine{Y: svgNum(y), Label: trimNum(v) + c.Unit})
	}
	return out
}

func svgNum(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

func trimNum(f float64) string {
	if f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}
