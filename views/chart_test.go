package views

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBarChartScale(t *testing.T) {
	tests := []struct {
		name   string
		chart  BarChart
		labels []string
	}{
		{"percentages keep their maximum", BarChart{Max: 100, Unit: "%", Bars: []Bar{{Value: 37}}}, []string{"0%", "25%", "50%", "75%", "100%"}},
		{"small counts step by whole numbers", BarChart{Bars: []Bar{{Value: 1}, {Value: 0}}}, []string{"0", "1", "2", "3", "4"}},
		{"large counts round up", BarChart{Bars: []Bar{{Value: 96093}, {Value: 12}}}, []string{"0", "25000", "50000", "75000", "100000"}},
		{"no data", BarChart{Bars: []Bar{{Value: 0}}}, []string{"0", "1", "2", "3", "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string // bottom to top
			for _, g := range tt.chart.grid() {
				got = append(got, g.Label)
			}
			if diff := cmp.Diff(tt.labels, got); diff != "" {
				t.Errorf("grid labels (-want +got):\n%s", diff)
			}
		})
	}
	// A bar of the full scale is as tall as the plot; half is half.
	c := BarChart{Max: 100, Bars: []Bar{{Value: 100}, {Value: 50}, {Value: 150}}}
	bars := c.layout()
	if bars[0].H != svgNum(c.plotHeight()) || bars[1].H != svgNum(c.plotHeight()/2) || bars[2].H != bars[0].H {
		t.Errorf("bar heights %s, %s, %s; want full, half and clipped to full", bars[0].H, bars[1].H, bars[2].H)
	}
}
