package qr

import (
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// longestNames are 100-character names in each script, as long as registration
// takes: the largest codes and the longest URLs.
var longestNames = []struct{ name, businessName string }{
	{"latin", fit("Kĕdai Runcit dan Kopitiam Ali Bin Abu Bakar Sdn Bhd Cawangan Jalan Tuanku Abdul Rahman, Kuala Lumpur")},
	{"chinese simplified", fit(strings.Repeat("大大海鲜楼茶餐厅吉隆坡分店", 8))},
	{"chinese traditional", fit(strings.Repeat("大大海鮮樓茶餐廳吉隆坡分店", 8))},
	{"tamil", fit(strings.Repeat("முருகன் ஸ்டோர்ஸ் ", 7))},
	{"jawi", fit(strings.Repeat("كداي رونچيت علي ", 7))},
}

// fit is s cut to exactly 100 characters, without a space at either end.
func fit(s string) string {
	r := []rune(s)
	if len(r) < MaxNameChars {
		panic(fmt.Sprintf("test name has %d characters", len(r)))
	}
	for r = r[:MaxNameChars]; r[len(r)-1] == ' '; r[len(r)-1] = 'x' {
	}
	return string(r)
}

const testBase = "https://checkin.example.gov.my"

func TestLongestURLs(t *testing.T) {
	// The longest origin allowed, so that the bound holds for every deployment.
	base := "https://" + strings.Repeat("a", MaxBaseURLChars-len("https://"))
	for _, tt := range longestNames {
		t.Run(tt.name, func(t *testing.T) {
			if n := utf8.RuneCountInString(tt.businessName); n != MaxNameChars {
				t.Fatalf("name has %d characters", n)
			}
			// The largest serial that three digits hold.
			p, err := Sign(t.Context(), localKey(t), venueA, 999, tt.businessName)
			if err != nil {
				t.Fatal(err)
			}
			u := URL(base, p)
			n := utf8.RuneCountInString(u)
			t.Logf("%d characters, %d bytes", n, len(u))
			if n > MaxPayloadChars {
				t.Fatalf("URL has %d characters, want at most %d: %s", n, MaxPayloadChars, u)
			}
			if got, err := FromURL(base, u); err != nil || got != p {
				t.Fatalf("FromURL = %q, %v; want the payload", got, err)
			}
		})
	}
}

// farView is img as a camera across a room sees it: shrunk to a quarter (each
// pixel the mean of the 4×4 it covers) and slightly blurred (a 3×3 kernel 1-2-1).
func farView(img image.Image) *image.Gray {
	b := img.Bounds()
	small := image.NewGray(image.Rect(0, 0, b.Dx()/4, b.Dy()/4))
	for y := 0; y < small.Rect.Dy(); y++ {
		for x := 0; x < small.Rect.Dx(); x++ {
			sum := 0
			for dy := 0; dy < 4; dy++ {
				for dx := 0; dx < 4; dx++ {
					r, g, bl, _ := img.At(b.Min.X+4*x+dx, b.Min.Y+4*y+dy).RGBA()
					sum += int((r + g + bl) / 3 >> 8)
				}
			}
			small.Pix[y*small.Stride+x] = uint8(sum / 16)
		}
	}
	blurred := image.NewGray(small.Rect)
	w, h := small.Rect.Dx(), small.Rect.Dy()
	at := func(x, y int) int { return int(small.Pix[min(max(y, 0), h-1)*small.Stride+min(max(x, 0), w-1)]) }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					sum += at(x+dx, y+dy) * (2 - abs(dx)) * (2 - abs(dy))
				}
			}
			blurred.Pix[y*blurred.Stride+x] = uint8(sum / 16)
		}
	}
	return blurred
}

// scan reads a QR code in img with gozxing: as a pure code (the grid found from
// the code's corners), else with its camera-style finder search.
func scan(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	var errs []error
	for _, hint := range []gozxing.DecodeHintType{gozxing.DecodeHintType_PURE_BARCODE, gozxing.DecodeHintType_TRY_HARDER} {
		res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{
			gozxing.DecodeHintType_CHARACTER_SET: "UTF-8", hint: true,
		})
		if err == nil {
			return res.GetText(), nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

// TestReadableFromAfar: the default PNG and the poster's code of the longest
// names still decode at a quarter of their size, blurred.
func TestReadableFromAfar(t *testing.T) {
	for _, tt := range longestNames {
		t.Run(tt.name, func(t *testing.T) {
			u := URL(testBase, signed(t, tt.businessName))
			m, err := Encode(u)
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.PNG(m.DefaultSize(DefaultSize))
			if err != nil {
				t.Fatal(err)
			}
			_, img := decodePNG(t, b)
			far := farView(img)
			if got, err := scan(far); err != nil || got != u {
				t.Errorf("default PNG (%d px, %d modules) at 25%%: %q, %v", img.Bounds().Dx(), m.N, got, err)
			}

			// The poster as a 150 dpi photo of the page, then a quarter of that.
			dir := t.TempDir()
			pdf, lay, err := poster(m, venueA, tt.businessName)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "poster.pdf")
			writeFile(t, path, pdf)
			if out, err := exec.Command(tool(t, "pdftoppm"), "-r", strconv.Itoa(150), "-png", "-gray", "-singlefile", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v %s", err, out)
			}
			page := readPNG(t, filepath.Join(dir, "page.png"))
			px := func(pt float64) int { return int(pt * 150 / 72) }
			code := page.(interface {
				SubImage(image.Rectangle) image.Image
			}).SubImage(image.Rect(px(lay.code.x), px(lay.code.top), px(lay.code.x+lay.code.w), px(lay.code.top+lay.code.h)))
			if got, err := scan(farView(code)); err != nil || got != u {
				t.Errorf("poster at 37.5 dpi: %q, %v", got, err)
			}
		})
	}
}

// TestFarViewCanFail: the same view of a code drawn with too few pixels per
// module does not decode, so the test above can tell.
func TestFarViewCanFail(t *testing.T) {
	u := URL(testBase, signed(t, longestNames[1].businessName))
	m, err := Encode(u)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.PNG(4 * (m.N + 2*QuietZone))
	if err != nil {
		t.Fatal(err)
	}
	_, img := decodePNG(t, b)
	if got, err := scan(farView(img)); err == nil && got == u {
		t.Fatal("a code of 4 px per module decoded at 25%: the far view is too kind to tell")
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
