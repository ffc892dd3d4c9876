package qr

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// scriptNames are business names in each script the poster must shape, with
// the font hb-view is to draw them in.
var scriptNames = []struct {
	name, businessName string
	font               typeface
	complex            bool // shaping changes the glyphs (conjuncts, joining)
}{
	{"latin with diacritics", "Kĕdai Kopi Café Señor", latinBold, false},
	{"chinese simplified", "大大海鲜楼", han, false},
	{"chinese traditional", "大大海鮮樓", han, false},
	{"tamil", "முருகன் ஸ்டோர்ஸ்", tamil, true},
	{"jawi", "كداي رونچيت علي", arabic, true},
}

// tool is the path of a command the poster tests need (Debian's poppler-utils
// and libharfbuzz-bin, which make test installs).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (make test installs poppler-utils and libharfbuzz-bin): %v", name, err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// ink is the dark pixels of img, cropped to their bounding box.
type ink struct {
	w, h int
	dark []bool
}

func inkOf(t *testing.T, img image.Image) ink {
	t.Helper()
	b := img.Bounds()
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, b.Min.X-1, b.Min.Y-1
	isDark := func(x, y int) bool {
		r, g, bl, _ := img.At(x, y).RGBA()
		return (r+g+bl)/3 < 0x8000
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if isDark(x, y) {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	if maxX < minX {
		t.Fatal("no ink")
	}
	in := ink{w: maxX - minX + 1, h: maxY - minY + 1}
	in.dark = make([]bool, in.w*in.h)
	for y := 0; y < in.h; y++ {
		for x := 0; x < in.w; x++ {
			in.dark[y*in.w+x] = isDark(minX+x, minY+y)
		}
	}
	return in
}

func (in ink) at(x, y int) bool {
	return x >= 0 && y >= 0 && x < in.w && y < in.h && in.dark[y*in.w+x]
}

// similarity is the best intersection over union of a's and b's ink, b shifted
// by up to 2 pixels each way.
func similarity(a, b ink) float64 {
	best := 0.0
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			both, either := 0, 0
			for y := min(0, dy); y < max(a.h, b.h+dy); y++ {
				for x := min(0, dx); x < max(a.w, b.w+dx); x++ {
					p, q := a.at(x, y), b.at(x-dx, y-dy)
					if p && q {
						both++
					}
					if p || q {
						either++
					}
				}
			}
			best = max(best, float64(both)/float64(either))
		}
	}
	return best
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// posterPDF is the poster for businessName, written to a file in dir.
func posterPDF(t *testing.T, dir, businessName string) (string, posterLayout) {
	t.Helper()
	m, err := Encode(signed(t, businessName))
	if err != nil {
		t.Fatal(err)
	}
	b, lay, err := poster(m, venueA, businessName)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "poster.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, lay
}

// TestPosterShapesEachScript renders each poster to PNG (poppler's pdftoppm) and
// compares the name's region with what HarfBuzz's own hb-view draws for the same
// text in the same font and size. For the scripts whose shaping changes glyphs,
// the unshaped rendering (hb-view's fallback shaper) must not match: the test
// tells shaped from merely present glyphs.
func TestPosterShapesEachScript(t *testing.T) {
	const dpi = 144
	for _, tt := range scriptNames {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			pdf, lay := posterPDF(t, dir, tt.businessName)
			if len(lay.nameLines) != 1 {
				t.Fatalf("name on %d lines, want 1", len(lay.nameLines))
			}
			px := func(pt float64) string { return strconv.Itoa(int(pt * dpi / 72)) }
			l := lay.nameLines[0]
			run(t, "pdftoppm", "-r", strconv.Itoa(dpi), "-png", "-singlefile",
				"-x", px(l.x-12), "-y", px(l.top-6), "-W", px(l.w+24), "-H", px(l.h+12), pdf, filepath.Join(dir, "name"))
			got := inkOf(t, readPNG(t, filepath.Join(dir, "name.png")))

			draw := func(shapers string) ink {
				out := filepath.Join(dir, shapers+".png")
				run(t, "hb-view", "--font-file="+filepath.Join("fonts", filepath.Base(typefaceFiles[tt.font])),
					"--font-size="+px(lay.nameSize), "--margin=48", "--shapers="+shapers, "-O", "png", "-o", out,
					// hb-view 6 clips the ink of a line's last glyph to its advance
					// (a Tamil pulli past it disappears); a space after it adds no ink.
					"--text="+tt.businessName+" ")
				return inkOf(t, readPNG(t, out))
			}
			want := draw("ot")
			s := similarity(got, want)
			t.Logf("similarity to hb-view: %.3f", s)
			if s < 0.8 || abs(got.w-want.w) > 3 || abs(got.h-want.h) > 3 {
				t.Errorf("poster's name (%dx%d px) is not hb-view's (%dx%d px): similarity %.2f, want ≥ 0.80", got.w, got.h, want.w, want.h, s)
			}
			if tt.complex {
				s := similarity(got, draw("fallback"))
				t.Logf("similarity to unshaped: %.3f", s)
				if s >= 0.8 {
					t.Errorf("poster's name matches the unshaped text: similarity %.2f", s)
				}
			}
		})
	}
}

func abs(n int) int { return max(n, -n) }

// TestPosterText checks that text extraction (poppler's pdftotext) gives each
// name back, with the fixed Malay and English text.
func TestPosterText(t *testing.T) {
	for _, tt := range append(scriptNames[:len(scriptNames):len(scriptNames)], struct {
		name, businessName string
		font               typeface
		complex            bool
	}{name: "mixed", businessName: "Restoran 大大海鲜楼 முருகன்"}) {
		t.Run(tt.name, func(t *testing.T) {
			pdf, _ := posterPDF(t, t.TempDir(), tt.businessName)
			text := string(run(t, "pdftotext", "-enc", "UTF-8", pdf, "-"))
			// poppler brackets right-to-left lines with embedding marks.
			text = strings.NewReplacer("\u202b", "", "\u202c", "").Replace(text)
			for _, want := range []string{tt.businessName, posterHeading, posterScanEN, posterSignedMS, venueA} {
				if !strings.Contains(text, want) {
					t.Errorf("pdftotext lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

// BenchmarkPosterScripts is a whole poster per script, the fonts already parsed.
func BenchmarkPosterScripts(b *testing.B) {
	for _, tt := range scriptNames {
		b.Run(tt.name, func(b *testing.B) {
			m, err := Encode(URL(testBase, signed(b, tt.businessName)))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Poster(m, venueA, tt.businessName); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseFont is what a cold process pays, once, the first time a name
// needs each font.
func BenchmarkParseFont(b *testing.B) {
	for f := range typefaces {
		b.Run(typefaceFiles[f], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t := &typesetter{}
				if t.face(f) == nil {
					b.Fatal(t.err)
				}
			}
		})
	}
}

// TestPosterMissingGlyph: a character no poster font has is written as its code
// point, in Latin, and the coverage says so.
func TestPosterMissingGlyph(t *testing.T) {
	const name = "Kedai 𠀀 Ali" // U+20000, outside the Chinese subset
	cov, err := NameCoverage(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(cov.Missing) != 1 || cov.Missing[0] != "U+20000" || len(cov.Scripts) != 1 || cov.Scripts[0] != "Latn" {
		t.Fatalf("coverage %+v, want Latn with U+20000 missing", cov)
	}
	if cov, _ := NameCoverage("大大海鲜楼 Kedai"); len(cov.Missing) != 0 || len(cov.Scripts) != 2 || cov.Scripts[0] != "Latn" || cov.Scripts[1] != "Hani" {
		t.Fatalf("coverage %+v, want Latn and Hani, nothing missing", cov)
	}
	pdf, lay := posterPDF(t, t.TempDir(), name)
	if len(lay.coverage.Missing) != 1 {
		t.Fatalf("poster coverage %+v", lay.coverage)
	}
	if text := string(run(t, "pdftotext", "-enc", "UTF-8", pdf, "-")); !strings.Contains(text, "Kedai U+20000 Ali") {
		t.Fatalf("poster text lacks the code point:\n%s", text)
	}
}
