package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	"github.com/boombuler/barcode/qr"
)

// QuietZone is the white border around a code, in modules, that ISO/IEC 18004 asks for.
const QuietZone = 4

// Image sizes in pixels: GET …/qr?size=N must be within [MinSize, MaxSize].
const (
	MinSize     = 128
	MaxSize     = 2048
	DefaultSize = 512
)

// Matrix is a QR code's modules, row by row; true is dark.
type Matrix struct {
	N    int
	dark []bool
}

// Dark says whether the module at column x, row y is dark.
func (m Matrix) Dark(x, y int) bool { return m.dark[y*m.N+x] }

// Encode is the QR code of payload in byte mode (its UTF-8) at error correction
// level Q (25%), so that a scuffed or partly covered print still scans.
func Encode(payload string) (Matrix, error) {
	bc, err := qr.Encode(payload, qr.Q, qr.Unicode)
	if err != nil {
		return Matrix{}, fmt.Errorf("encode qr: %w", err)
	}
	b := bc.Bounds()
	m := Matrix{N: b.Dx(), dark: make([]bool, b.Dx()*b.Dy())}
	for y := 0; y < m.N; y++ {
		for x := 0; x < m.N; x++ {
			r, _, _, _ := bc.At(b.Min.X+x, b.Min.Y+y).RGBA()
			m.dark[y*m.N+x] = r < 0x8000
		}
	}
	return m, nil
}

// layout places the code in a size×size square: whole pixels per module, and
// the rest of the square (at least the quiet zone) as a white margin.
func (m Matrix) layout(size int) (scale, offset int, err error) {
	scale = size / (m.N + 2*QuietZone)
	if scale < 1 {
		return 0, 0, fmt.Errorf("%d px is too small for %d modules and the quiet zone", size, m.N)
	}
	return scale, (size - scale*m.N) / 2, nil
}

var palette = color.Palette{color.White, color.Black}

// PNG is the code as a size×size two-colour PNG.
func (m Matrix) PNG(size int) ([]byte, error) {
	scale, off, err := m.layout(size)
	if err != nil {
		return nil, err
	}
	img := image.NewPaletted(image.Rect(0, 0, size, size), palette)
	for y := 0; y < m.N; y++ {
		for x := 0; x < m.N; x++ {
			if !m.Dark(x, y) {
				continue
			}
			for py := off + y*scale; py < off+(y+1)*scale; py++ {
				row := img.Pix[py*img.Stride:]
				for px := off + x*scale; px < off+(x+1)*scale; px++ {
					row[px] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG is the code as an SVG of size×size pixels: one path of dark runs on a white
// square, in module units. It holds no text of the venue's, only the modules.
func (m Matrix) SVG(size int) []byte {
	total := strconv.Itoa(m.N + 2*QuietZone)
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %s %s" shape-rendering="crispEdges">`, size, size, total, total)
	fmt.Fprintf(&b, `<rect width="%s" height="%s" fill="#fff"/><path fill="#000" d="`, total, total)
	m.runs(func(x, y, w int) {
		fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+QuietZone, y+QuietZone, w, w)
	})
	b.WriteString(`"/></svg>` + "\n")
	return b.Bytes()
}

// runs calls f for each horizontal run of dark modules: column, row and length.
func (m Matrix) runs(f func(x, y, w int)) {
	for y := 0; y < m.N; y++ {
		for x := 0; x < m.N; {
			if !m.Dark(x, y) {
				x++
				continue
			}
			start := x
			for x < m.N && m.Dark(x, y) {
				x++
			}
			f(start, y, x-start)
		}
	}
}
