package console

import (
	"math"
	"strconv"
)

// Charts that need no JavaScript are SVG drawn here: the page gets shapes
// with coordinates and classes (colours come from the stylesheet, so the
// CSP needs no inline style), each with a <title> that browsers show on
// hover and screen readers read.

// svgChart is a bar chart ready for the chart template.
type svgChart struct {
	Label         string
	Width, Height float64
	Bars          []svgBar
	Lines         []svgLine
	XLabels       []svgText
	YLabels       []svgText
	Legend        []legendItem
}

type svgBar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type svgLine struct {
	X1, Y1, X2, Y2 float64
	Class          string
}

type svgText struct {
	X, Y   float64
	Text   string
	Anchor string
}

type legendItem struct {
	Class, Label string
}

// Plot area margins.
const (
	chartLeft   = 48.0
	chartRight  = 8.0
	chartTop    = 8.0
	chartBottom = 28.0
)

// series is one stacked layer of a bar chart.
type series struct {
	Label, Class string
	Values       []float64
}

// stackedBars draws one bar per label, the series stacked bottom up.
func stackedBars(label string, labels []string, ss []series, width, height float64) svgChart {
	ch := svgChart{Label: label, Width: width, Height: height}
	maxTotal := 0.0
	for i := range labels {
		total := 0.0
		for _, s := range ss {
			total += s.Values[i]
		}
		maxTotal = max(maxTotal, total)
	}
	for _, s := range ss {
		ch.Legend = append(ch.Legend, legendItem{Class: s.Class, Label: s.Label})
	}
	top := niceCeil(maxTotal)
	plotW, plotH := width-chartLeft-chartRight, height-chartTop-chartBottom
	ch.Lines = append(ch.Lines, svgLine{X1: chartLeft, Y1: chartTop + plotH, X2: width - chartRight, Y2: chartTop + plotH, Class: "axis"})
	for _, t := range []float64{0, top / 2, top} {
		y := chartTop + plotH - plotH*safeDiv(t, top)
		ch.YLabels = append(ch.YLabels, svgText{X: chartLeft - 6, Y: y + 4, Text: fmtInt(t), Anchor: "end"})
		ch.Lines = append(ch.Lines, svgLine{X1: chartLeft, Y1: y, X2: width - chartRight, Y2: y, Class: "grid"})
	}
	if len(labels) == 0 {
		return ch
	}
	slot := plotW / float64(len(labels))
	barW := max(slot*0.8, 1)
	every := max(1, int(math.Ceil(float64(len(labels))*60/plotW))) // a label every 60 px at most
	for i, l := range labels {
		x := chartLeft + float64(i)*slot + (slot-barW)/2
		base := chartTop + plotH
		for _, s := range ss {
			v := s.Values[i]
			if v <= 0 {
				continue
			}
			h := plotH * safeDiv(v, top)
			base -= h
			ch.Bars = append(ch.Bars, svgBar{X: x, Y: base, W: barW, H: h, Class: s.Class,
				Title: l + ": " + fmtInt(v) + " " + s.Label})
		}
		if i%every == 0 {
			ch.XLabels = append(ch.XLabels, svgText{X: x + barW/2, Y: height - 8, Text: l, Anchor: "middle"})
		}
	}
	return ch
}

// reliabilityChart draws a reliability diagram: per bin of predicted
// probability, how often the prediction was right, against the diagonal
// of perfect calibration.
func reliabilityChart(bins []reliabilityBin, width, height float64) svgChart {
	ch := svgChart{Label: "Reliability diagram: observed accuracy against predicted probability", Width: width, Height: height,
		Legend: []legendItem{{Class: "s-accept", Label: "accuracy of the bin"}, {Class: "s-ideal", Label: "perfect calibration"}}}
	plotW, plotH := width-chartLeft-chartRight, height-chartTop-chartBottom
	x := func(p float64) float64 { return chartLeft + plotW*p }
	y := func(p float64) float64 { return chartTop + plotH - plotH*p }
	for _, t := range []float64{0, 0.5, 1} {
		ch.YLabels = append(ch.YLabels, svgText{X: chartLeft - 6, Y: y(t) + 4, Text: strconv.FormatFloat(t, 'f', 1, 64), Anchor: "end"})
		ch.XLabels = append(ch.XLabels, svgText{X: x(t), Y: height - 8, Text: strconv.FormatFloat(t, 'f', 1, 64), Anchor: "middle"})
		ch.Lines = append(ch.Lines, svgLine{X1: chartLeft, Y1: y(t), X2: width - chartRight, Y2: y(t), Class: "grid"})
	}
	for _, b := range bins {
		if b.Facts == 0 {
			continue
		}
		w := max(x(b.Hi)-x(b.Lo)-2, 1)
		ch.Bars = append(ch.Bars, svgBar{X: x(b.Lo) + 1, Y: y(b.Accuracy), W: w, H: y(0) - y(b.Accuracy), Class: "s-accept",
			Title: "predicted " + strconv.FormatFloat(b.Lo, 'f', 2, 64) + "–" + strconv.FormatFloat(b.Hi, 'f', 2, 64) +
				": mean confidence " + strconv.FormatFloat(b.Confidence, 'f', 3, 64) + ", accuracy " +
				strconv.FormatFloat(b.Accuracy, 'f', 3, 64) + ", " + fmtInt(b.Facts) + " facts"})
	}
	ch.Lines = append(ch.Lines, svgLine{X1: x(0), Y1: y(0), X2: x(1), Y2: y(1), Class: "ideal"})
	return ch
}

type reliabilityBin struct {
	Lo, Hi, Confidence, Accuracy float64
	Facts                        int
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten, for an axis top.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*exp {
			return m * exp
		}
	}
	return 10 * exp
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
