package qr

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
)

// pdfPage writes a one-page PDF whose text is shaped glyphs. Each glyph the page
// uses becomes a glyph of a Type 3 font, drawn from the font's own outline, so
// that any script's shaped forms (ligatures, conjuncts, joining forms) print
// exactly, and the file holds only the glyphs it shows, not the fonts. Each line
// glyph maps to the characters of its cluster (ToUnicode), and each line of
// left-to-right text is marked with its text (ActualText), so that text
// extraction gets the text back.
type pdfPage struct {
	ts      *typesetter
	w, h    float64
	content bytes.Buffer
	glyphs  map[glyphKey]glyphRef
	fonts   [][]glyphKey // each Type 3 font's glyphs, codes 1…255
	curFont int
	curSize float64
}

type glyphKey struct {
	face typeface
	gid  font.GID
	text string // what the glyph stands for in text extraction (ToUnicode)
}

type glyphRef struct {
	font int
	code byte
}

// glyphSpace is the units per em of the Type 3 fonts' glyph space.
const glyphSpace = 1000

func newPDFPage(ts *typesetter, w, h float64) *pdfPage {
	return &pdfPage{ts: ts, w: w, h: h, glyphs: map[glyphKey]glyphRef{}, curFont: -1}
}

func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// fill sets the fill colour (grey, 0 black to 1 white) of what follows.
func (p *pdfPage) fill(grey float64) { fmt.Fprintf(&p.content, "%s g\n", num(grey)) }

// rect fills a rectangle given by its top-left corner, from the page's top.
func (p *pdfPage) rect(x, top, w, h float64) {
	fmt.Fprintf(&p.content, "%s %s %s %s re f\n", num(x), num(p.h-top-h), num(w), num(h))
}

// line draws a set line at size points with its left end at x and its baseline
// at baseline points from the page's top.
func (p *pdfPage) line(l textLine, size, x, baseline float64) {
	if len(l.glyphs) == 0 {
		return
	}
	// A left-to-right line is marked with its text in logical order, which
	// poppler and others extract as it stands: Tamil vowel signs drawn before
	// their consonant come out after it. Extractors reorder right-to-left text
	// themselves, from the glyphs' own text (ToUnicode), so those lines are not.
	if !l.rtl {
		fmt.Fprintf(&p.content, "/Span <</ActualText %s>> BDC\n", pdfText(l.text))
	}
	p.content.WriteString("BT\n")
	p.curFont = -1
	for _, g := range l.glyphs {
		ref := p.glyph(glyphKey{g.face, g.gid, g.text})
		if ref.font != p.curFont || size != p.curSize {
			fmt.Fprintf(&p.content, "/T%d %s Tf\n", ref.font, num(size))
			p.curFont, p.curSize = ref.font, size
		}
		fmt.Fprintf(&p.content, "1 0 0 1 %s %s Tm <%02X> Tj\n", num(x+g.x), num(p.h-baseline+g.y), ref.code)
	}
	p.content.WriteString("ET\n")
	if !l.rtl {
		p.content.WriteString("EMC\n")
	}
}

func (p *pdfPage) glyph(k glyphKey) glyphRef {
	if ref, ok := p.glyphs[k]; ok {
		return ref
	}
	if len(p.fonts) == 0 || len(p.fonts[len(p.fonts)-1]) == 255 {
		p.fonts = append(p.fonts, nil)
	}
	f := len(p.fonts) - 1
	p.fonts[f] = append(p.fonts[f], k)
	ref := glyphRef{font: f, code: byte(len(p.fonts[f]))}
	p.glyphs[k] = ref
	return ref
}

// pdfText is s as a PDF text string: UTF-16BE with a byte order mark, in hex.
func pdfText(s string) string { return "<FEFF" + utf16Hex(s) + ">" }

func utf16Hex(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	return b.String()
}

// advance is the glyph's advance in glyph space.
func (p *pdfPage) advance(k glyphKey) float64 {
	face := p.ts.face(k.face)
	return float64(face.HorizontalAdvance(k.gid)) * glyphSpace / float64(face.Upem())
}

// glyphProc is the Type 3 glyph procedure of k, drawn in the fill colour of the
// text (d1).
func (p *pdfPage) glyphProc(k glyphKey) []byte {
	face := p.ts.face(k.face)
	scale := glyphSpace / float64(face.Upem())
	adv := p.advance(k)
	var path bytes.Buffer
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	pt := func(q ot.SegmentPoint) string {
		x, y := float64(q.X)*scale, float64(q.Y)*scale
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
		return num(x) + " " + num(y)
	}
	var cur ot.SegmentPoint
	if outline, ok := face.GlyphData(k.gid).(font.GlyphOutline); ok {
		for _, s := range outline.Segments {
			switch s.Op {
			case ot.SegmentOpMoveTo:
				fmt.Fprintf(&path, "%s m\n", pt(s.Args[0]))
				cur = s.Args[0]
			case ot.SegmentOpLineTo:
				fmt.Fprintf(&path, "%s l\n", pt(s.Args[0]))
				cur = s.Args[0]
			case ot.SegmentOpQuadTo:
				// The cubic with the same curve: controls 2/3 of the way to the quadratic's.
				c, e := s.Args[0], s.Args[1]
				c1 := ot.SegmentPoint{X: cur.X + 2*(c.X-cur.X)/3, Y: cur.Y + 2*(c.Y-cur.Y)/3}
				c2 := ot.SegmentPoint{X: e.X + 2*(c.X-e.X)/3, Y: e.Y + 2*(c.Y-e.Y)/3}
				fmt.Fprintf(&path, "%s %s %s c\n", pt(c1), pt(c2), pt(e))
				cur = e
			case ot.SegmentOpCubeTo:
				fmt.Fprintf(&path, "%s %s %s c\n", pt(s.Args[0]), pt(s.Args[1]), pt(s.Args[2]))
				cur = s.Args[2]
			}
		}
	}
	var b bytes.Buffer
	if path.Len() == 0 {
		fmt.Fprintf(&b, "%s 0 0 0 0 0 d1\n", num(adv))
		return b.Bytes()
	}
	fmt.Fprintf(&b, "%s 0 %s %s %s %s d1\n", num(adv), num(math.Floor(minX)), num(math.Floor(minY)), num(math.Ceil(maxX)), num(math.Ceil(maxY)))
	b.Write(path.Bytes())
	b.WriteString("f\n")
	return b.Bytes()
}

// toUnicodeCMap maps a Type 3 font's codes to text: entries are "<code> <UTF-16BE>".
func toUnicodeCMap(entries []string) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<01> <FF>\nendcodespacerange\n")
	for len(entries) > 0 {
		n := min(len(entries), 100) // a bfchar block holds at most 100 entries
		fmt.Fprintf(&b, "%d beginbfchar\n%s\nendbfchar\n", n, strings.Join(entries[:n], "\n"))
		entries = entries[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

// pdfWriter numbers and writes a PDF's objects.
type pdfWriter struct {
	buf     bytes.Buffer
	offsets []int
}

// reserve is the number of an object written later.
func (w *pdfWriter) reserve() int {
	w.offsets = append(w.offsets, 0)
	return len(w.offsets)
}

func (w *pdfWriter) object(n int, body string) {
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

func (w *pdfWriter) stream(n int, dict string, data []byte, compress bool) error {
	if compress {
		var z bytes.Buffer
		zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(data); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		data, dict = z.Bytes(), dict+" /Filter /FlateDecode"
	}
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<<%s /Length %d>>\nstream\n", n, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
	return nil
}

// bytes is the whole file, titled title.
func (p *pdfPage) bytes(title string) ([]byte, error) {
	var w pdfWriter
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	catalog, pages, page, content, info := w.reserve(), w.reserve(), w.reserve(), w.reserve(), w.reserve()
	var fontRefs bytes.Buffer
	procObjs := map[glyphKey]int{} // one procedure per glyph, whatever text it stands for
	for i, glyphs := range p.fonts {
		fontObj, cmap := w.reserve(), w.reserve()
		fmt.Fprintf(&fontRefs, "/T%d %d 0 R ", i, fontObj)
		var procs, names, widths bytes.Buffer
		var toUnicode []string
		for c, k := range glyphs {
			shape := glyphKey{face: k.face, gid: k.gid}
			n, ok := procObjs[shape]
			if !ok {
				proc := p.glyphProc(shape)
				n = w.reserve()
				procObjs[shape] = n
				if err := w.stream(n, "", proc, false); err != nil {
					return nil, err
				}
			}
			fmt.Fprintf(&procs, "/g%d %d 0 R ", c+1, n)
			fmt.Fprintf(&names, "/g%d ", c+1)
			widths.WriteString(num(p.advance(shape)) + " ")
			// A glyph that is not its cluster's first maps to no text.
			toUnicode = append(toUnicode, fmt.Sprintf("<%02X> <%s>", c+1, utf16Hex(k.text)))
		}
		w.object(fontObj, fmt.Sprintf("<</Type /Font /Subtype /Type3 /FontBBox [0 0 0 0] /FontMatrix [%s 0 0 %s 0 0] "+
			"/CharProcs <<%s>> /Encoding <</Type /Encoding /Differences [1 %s]>> /FirstChar 1 /LastChar %d /Widths [%s] /Resources <<>> /ToUnicode %d 0 R>>",
			num(1.0/glyphSpace), num(1.0/glyphSpace), procs.String(), names.String(), len(glyphs), widths.String(), cmap))
		if err := w.stream(cmap, "", toUnicodeCMap(toUnicode), true); err != nil {
			return nil, err
		}
	}
	if p.ts.err != nil {
		return nil, p.ts.err
	}
	w.object(catalog, fmt.Sprintf("<</Type /Catalog /Pages %d 0 R /Lang (ms)>>", pages))
	w.object(pages, fmt.Sprintf("<</Type /Pages /Kids [%d 0 R] /Count 1>>", page))
	w.object(page, fmt.Sprintf("<</Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R /Resources <</Font <<%s>>>>>>",
		pages, num(p.w), num(p.h), content, fontRefs.String()))
	if err := w.stream(content, "", p.content.Bytes(), true); err != nil {
		return nil, err
	}
	w.object(info, fmt.Sprintf("<</Title %s /Creator (check-in registry)>>", pdfText(title)))
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, off := range w.offsets {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&w.buf, "trailer\n<</Size %d /Root %d 0 R /Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(w.offsets)+1, catalog, info, xref)
	return w.buf.Bytes(), nil
}
