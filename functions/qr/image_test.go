package qr

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	skip2 "github.com/skip2/go-qrcode"
)

// decode reads a QR code in img with gozxing, an independent decoder (a port of
// ZXing). It reads it as a pure code: the module grid found from the image's
// corners and the quiet zone, then format, error correction and data decoded in
// full. (Its camera-style finder search misreads about 3% of flawless synthetic
// codes, its own encoder's too, so a test on it would be flaky, not stricter.)
func decode(t testing.TB, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
		gozxing.DecodeHintType_PURE_BARCODE:  true,
	})
	if err != nil {
		t.Fatalf("decode qr: %v", err)
	}
	return res.GetText()
}

func decodePNG(t testing.TB, b []byte) (string, image.Image) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	return decode(t, img), img
}

func signed(t testing.TB, businessName string) string {
	t.Helper()
	s, err := Sign(context.Background(), localKey(t), venueA, 1, businessName)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPNGDecodesToPayload(t *testing.T) {
	for _, tt := range names {
		for _, size := range []int{MinSize * 2, DefaultSize, 1000, MaxSize} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, size), func(t *testing.T) {
				payload := signed(t, tt.businessName)
				m, err := Encode(payload)
				if err != nil {
					t.Fatal(err)
				}
				b, err := m.PNG(size)
				if err != nil {
					t.Fatal(err)
				}
				got, img := decodePNG(t, b)
				if got != payload {
					t.Fatalf("decoded %q, want %q", got, payload)
				}
				if img.Bounds().Dx() != size || img.Bounds().Dy() != size {
					t.Fatalf("image is %v, want %dx%d", img.Bounds(), size, size)
				}
				checkQuietZone(t, img, m, size)
			})
		}
	}
}

// checkQuietZone asserts at least QuietZone modules of white around the code.
func checkQuietZone(t *testing.T, img image.Image, m Matrix, size int) {
	t.Helper()
	scale := size / (m.N + 2*QuietZone)
	border := QuietZone * scale
	dark := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r < 0x8000 }
	minX, minY, maxX, maxY := size, size, -1, -1
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if dark(x, y) {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	if minX < border || minY < border || maxX >= size-border || maxY >= size-border {
		t.Fatalf("dark pixels span (%d,%d)-(%d,%d): want a %d px quiet zone in %d px", minX, minY, maxX, maxY, border, size)
	}
	if got := maxX - minX + 1; got != m.N*scale {
		t.Fatalf("code is %d px wide, want %d modules of %d px", got, m.N, scale)
	}
}

func TestPNGSizes(t *testing.T) {
	m, err := Encode(signed(t, strings.Repeat("🍜", 100)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		size int
		ok   bool
	}{{MinSize, true}, {m.N + 2*QuietZone, true}, {m.N + 2*QuietZone - 1, false}, {0, false}} {
		t.Run(strconv.Itoa(tt.size), func(t *testing.T) {
			if _, err := m.PNG(tt.size); (err == nil) != tt.ok {
				t.Fatalf("PNG(%d) err = %v, want ok=%v (%d modules)", tt.size, err, tt.ok, m.N)
			}
		})
	}
}

var svgRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// rasterSVG draws the SVG's runs at scale px per unit: enough of SVG for ours.
func rasterSVG(t *testing.T, b []byte, scale int) image.Image {
	t.Helper()
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		Width   int      `xml:"width,attr"`
		ViewBox string   `xml:"viewBox,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("svg: %v", err)
	}
	var units int
	if _, err := fmt.Sscanf(doc.ViewBox, "0 0 %d %d", &units, &units); err != nil {
		t.Fatalf("viewBox %q: %v", doc.ViewBox, err)
	}
	img := image.NewGray(image.Rect(0, 0, units*scale, units*scale))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	runs := svgRun.FindAllStringSubmatch(doc.Path.D, -1)
	if len(runs) == 0 || strings.Count(doc.Path.D, "M") != len(runs) {
		t.Fatalf("path has %d runs of the expected form in %d moves", len(runs), strings.Count(doc.Path.D, "M"))
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		if x < QuietZone || y < QuietZone || x+w > units-QuietZone || y >= units-QuietZone {
			t.Fatalf("run %s reaches into the quiet zone of %d units", r[0], units)
		}
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.Set(px, py, color.Black)
			}
		}
	}
	return img
}

func TestSVGDecodesToPayload(t *testing.T) {
	for _, tt := range names {
		t.Run(tt.name, func(t *testing.T) {
			payload := signed(t, tt.businessName)
			m, err := Encode(payload)
			if err != nil {
				t.Fatal(err)
			}
			b := m.SVG(640)
			if !bytes.Contains(b, []byte(`width="640" height="640"`)) {
				t.Fatalf("svg lacks its size: %.200s", b)
			}
			if bytes.Contains(b, []byte(tt.businessName)) {
				t.Fatal("svg holds the business name")
			}
			if got := decode(t, rasterSVG(t, b, 4)); got != payload {
				t.Fatalf("decoded %q, want %q", got, payload)
			}
		})
	}
}

func TestPoster(t *testing.T) {
	for _, tt := range names {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Encode(signed(t, tt.businessName))
			if err != nil {
				t.Fatal(err)
			}
			b, err := Poster(m, venueA, tt.businessName)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("%%EOF")) {
				t.Fatalf("not a PDF: %.20q", b)
			}
			if !regexp.MustCompile(`/MediaBox ?\[ ?0 0 595\.28 841\.89 ?\]`).Match(b) {
				t.Fatal("page is not A4")
			}
			if !bytes.Contains(b, []byte("/Subtype /Type3")) || !bytes.Contains(b, []byte("/ToUnicode")) {
				t.Fatal("text glyphs not embedded")
			}
		})
	}
}

func BenchmarkPNG512(b *testing.B) {
	payload := signed(b, "Kedai Runcit Ali")
	b.ReportAllocs()
	for b.Loop() {
		m, err := Encode(payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.PNG(512); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPNG512Draw is the PNG alone, from an encoded code: the rest of
// BenchmarkPNG512 is the QR encoder choosing its mask.
func BenchmarkPNG512Draw(b *testing.B) {
	m, err := Encode(signed(b, "Kedai Runcit Ali"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.PNG(512); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPoster(b *testing.B) {
	m, err := Encode(signed(b, "Kedai Runcit Ali"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Poster(m, venueA, "Kedai Runcit Ali"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignLocal(b *testing.B) {
	key := localKey(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(ctx, key, venueA, 1, "Kedai Runcit Ali"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	key := localKey(b)
	keys, _ := key.PublicKeys(context.Background())
	payload, err := Sign(context.Background(), key, venueA, 1, "Kedai Runcit Ali")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(payload, keys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRepeatPNG is a repeat fetch of the default PNG, side by side with
// skip2/go-qrcode generating the same code at the same size from scratch: the
// stored symbol is read back and drawn; nothing is encoded again.
func BenchmarkRepeatPNG(b *testing.B) {
	u := URL(testBase, signed(b, "Kedai Runcit Ali"))
	m, err := Encode(u)
	if err != nil {
		b.Fatal(err)
	}
	stored, size := m.Bytes(), m.DefaultSize(DefaultSize)
	b.Run("stored-symbol", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := MatrixFromBytes(stored)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.PNG(size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-again", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := Encode(u)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.PNG(size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("skip2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q, err := skip2.New(u, skip2.Medium)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := q.PNG(size); err != nil {
				b.Fatal(err)
			}
		}
	})
}
