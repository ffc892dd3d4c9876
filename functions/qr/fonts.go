package qr

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/bidi"
)

// The poster's fonts: Noto subsets made by fonts/subset.py (make poster-fonts),
// under the SIL Open Font License (fonts/OFL.txt).
//
//go:embed fonts/*.ttf fonts/*.otf
var fontFiles embed.FS

// typeface is one of the poster's fonts.
type typeface int

const (
	latinBold typeface = iota
	latinRegular
	tamil
	arabic
	han
	typefaces
)

var typefaceFiles = [typefaces]string{
	latinBold:    "fonts/NotoSans-Bold.ttf",
	latinRegular: "fonts/NotoSans-Regular.ttf",
	tamil:        "fonts/NotoSansTamil-Bold.ttf",
	arabic:       "fonts/NotoNaskhArabic-Bold.ttf",
	han:          "fonts/NotoSansCJKsc-Bold.otf",
}

// typefaceScripts is the ISO 15924 code of the script each font is there for.
var typefaceScripts = [typefaces]string{latinBold: "Latn", latinRegular: "Latn", tamil: "Taml", arabic: "Arab", han: "Hani"}

// typesetter shapes text with the poster's fonts. A go-text face is not safe
// for concurrent use, so one poster is set at a time; each font is parsed the
// first time a text needs it (a Latin name never parses the Chinese font).
type typesetter struct {
	mu     sync.Mutex
	faces  [typefaces]*font.Face
	err    error
	shaper shaping.HarfbuzzShaper
	seg    shaping.Segmenter
	wrap   shaping.LineWrapper

	// base is the Latin weight of the text being set; script the run's script,
	// as the segmenter reports it (shaping.FontmapScript).
	base   typeface
	script language.Script
}

var posterType = &typesetter{}

func (t *typesetter) face(f typeface) *font.Face {
	if t.faces[f] != nil || t.err != nil {
		return t.faces[f]
	}
	data, err := fontFiles.ReadFile(typefaceFiles[f])
	if err == nil {
		t.faces[f], err = font.ParseTTF(bytes.NewReader(data))
	}
	if err != nil {
		t.err = fmt.Errorf("poster font %s: %w", typefaceFiles[f], err)
		return nil
	}
	return t.faces[f]
}

// order is the fonts to try for a character, the one for the run's script first.
func (t *typesetter) order() []typeface {
	first := t.base
	switch t.script {
	case language.Tamil:
		first = tamil
	case language.Arabic:
		first = arabic
	case language.Han, language.Bopomofo:
		first = han
	}
	order := []typeface{first}
	for _, f := range []typeface{t.base, tamil, arabic, han} {
		if !slices.Contains(order, f) {
			order = append(order, f)
		}
	}
	return order
}

// which is the first font that has a glyph for r, or -1.
func (t *typesetter) which(r rune) typeface {
	for _, f := range t.order() {
		if face := t.face(f); face != nil {
			if _, ok := face.NominalGlyph(r); ok {
				return f
			}
		}
	}
	return -1
}

// ResolveFace is the font for r: shaping.Fontmap.
func (t *typesetter) ResolveFace(r rune) *font.Face {
	if f := t.which(r); f >= 0 {
		return t.face(f)
	}
	return t.face(t.base)
}

// SetScript is the script of the run being split: shaping.FontmapScript.
func (t *typesetter) SetScript(s language.Script) { t.script = s }

var _ shaping.FontmapScript = (*typesetter)(nil)

func (t *typesetter) typefaceOf(face *font.Face) typeface {
	for f, g := range t.faces {
		if g == face {
			return typeface(f)
		}
	}
	return t.base
}

// Coverage is how the poster can show a text: the scripts (ISO 15924) of the
// fonts it is drawn in, and the characters no font has, which it writes as
// their code points ("U+2A6D6") in Latin instead of leaving blanks.
type Coverage struct {
	Scripts []string `json:"scripts"`
	Missing []string `json:"missing,omitempty"`
}

// drawable is s with each character no font has written as its code point, and
// what that leaves.
func (t *typesetter) drawable(s string, base typeface) (string, Coverage, error) {
	t.base, t.script = base, language.Common
	var b strings.Builder
	var c Coverage
	scripts := map[string]bool{}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.In(r, unicode.Cf, unicode.Mn) {
			b.WriteRune(r) // shaped with their neighbours' font
			continue
		}
		f := t.which(r)
		if t.err != nil {
			return "", Coverage{}, t.err
		}
		if f < 0 {
			code := fmt.Sprintf("U+%04X", r)
			c.Missing = append(c.Missing, code)
			f = latinRegular
			b.WriteString(" " + code + " ")
		} else {
			b.WriteRune(r)
		}
		scripts[typefaceScripts[f]] = true
	}
	for _, name := range typefaceScripts {
		if scripts[name] {
			c.Scripts = append(c.Scripts, name)
			delete(scripts, name)
		}
	}
	if len(c.Scripts) == 0 {
		c.Scripts = []string{"Latn"}
	}
	if len(c.Missing) == 0 {
		return s, c, nil
	}
	return strings.Join(strings.Fields(b.String()), " "), c, nil
}

// NameCoverage says in which scripts the poster shows name, and which of its
// characters it cannot draw.
func NameCoverage(name string) (Coverage, error) {
	t := posterType
	t.mu.Lock()
	defer t.mu.Unlock()
	_, c, err := t.drawable(name, latinBold)
	return c, err
}

// placedGlyph is a glyph of a font at a position on a line, in points from the
// line's left end on its baseline (y up).
type placedGlyph struct {
	face typeface
	gid  font.GID
	x, y float64
	// text is the characters of the glyph's cluster on the first glyph drawn
	// of each cluster, and "" on the others.
	text string
}

// textLine is one line of set text: its glyphs left to right, its width, and
// the text it shows in logical order (for text extraction).
type textLine struct {
	glyphs []placedGlyph
	width  float64
	text   string
	rtl    bool // the paragraph is right to left
}

// direction is the paragraph direction of s: that of its first strong character.
func direction(s string) di.Direction {
	for _, r := range s {
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.L:
			return di.DirectionLTR
		case bidi.R, bidi.AL:
			return di.DirectionRTL
		}
	}
	return di.DirectionLTR
}

func toPt(v fixed.Int26_6) float64 { return float64(v) / 64 }

// set shapes s in the base font (and whatever others its scripts need) at size
// points and breaks it into lines of at most width points. t.mu must be held.
func (t *typesetter) set(s string, base typeface, size, width float64) ([]textLine, error) {
	t.base, t.script = base, language.Common
	runes := []rune(s)
	dir := direction(s)
	in := shaping.Input{Text: runes, RunEnd: len(runes), Direction: dir,
		Size: fixed.Int26_6(size * 64), Language: language.NewLanguage("ms")}
	if t.face(base); t.err != nil {
		return nil, t.err
	}
	var outs []shaping.Output
	for _, run := range t.seg.Split(in, t) {
		outs = append(outs, t.shaper.Shape(run))
	}
	if t.err != nil {
		return nil, t.err
	}
	lines, _ := t.wrap.WrapParagraphF(shaping.WrapConfig{Direction: dir}, fixed.Int26_6(width*64), runes, shaping.NewSliceIterator(outs))
	set := make([]textLine, 0, len(lines))
	for _, line := range lines {
		runs := slices.Clone(line)
		slices.SortFunc(runs, func(a, b shaping.Output) int { return int(a.VisualIndex - b.VisualIndex) })
		tl := textLine{rtl: dir == di.DirectionRTL}
		lo, hi := len(runes), 0
		x := 0.0
		for _, run := range runs {
			f := t.typefaceOf(run.Face)
			seen := map[int]bool{}
			for _, g := range run.Glyphs {
				pg := placedGlyph{face: f, gid: g.GlyphID, x: x + toPt(g.XOffset), y: toPt(g.YOffset)}
				if i := g.TextIndex(); !seen[i] {
					seen[i] = true
					pg.text = string(runes[i : i+g.RunesCount()])
				}
				tl.glyphs = append(tl.glyphs, pg)
				x += toPt(g.Advance)
			}
			lo, hi = min(lo, run.Runes.Offset), max(hi, run.Runes.Offset+run.Runes.Count)
		}
		tl.width = x
		if lo < hi {
			tl.text = strings.TrimSpace(string(runes[lo:hi]))
		}
		set = append(set, tl)
	}
	return set, nil
}
