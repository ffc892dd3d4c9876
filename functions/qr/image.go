package qr

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"sync"

	"github.com/boombuler/barcode/qr"
)

// QuietZone is the white border around a code, in modules, that ISO/IEC 18004 asks for.
const QuietZone = 4

// Image sizes in pixels: GET …/qr?size=N must be within [MinSize, MaxSize], and
// at least a code's own minimum (Matrix.MinSize).
const (
	MinSize     = 128
	MaxSize     = 2048
	DefaultSize = 512
)

// Pixels per module. Below MinModulePixels a phone held close cannot be counted
// on to read a code; with FarModulePixels, a photo from across a room that
// shows the image at a quarter of its size still has two pixels per module.
// A code's default image size gives it at least FarModulePixels.
const (
	MinModulePixels = 3
	FarModulePixels = 12
)

// ecLevel is the error correction level: M (15%) keeps the symbol of a long
// non-Latin name small enough to read from afar, and survives a scuffed print.
const ecLevel = qr.M

// Matrix is a QR code's modules, row by row, eight to a byte from the most
// significant bit, each row starting on a byte; a set bit is dark.
type Matrix struct {
	N    int
	bits []byte
}

func (m Matrix) stride() int { return (m.N + 7) / 8 }

// Dark says whether the module at column x, row y is dark.
func (m Matrix) Dark(x, y int) bool { return m.bits[y*m.stride()+x/8]&(0x80>>(x%8)) != 0 }

// Encode is the QR code of text (a check page URL) in byte mode (its UTF-8) at
// level ecLevel.
func Encode(text string) (Matrix, error) {
	bc, err := qr.Encode(text, ecLevel, qr.Unicode)
	if err != nil {
		return Matrix{}, fmt.Errorf("encode qr: %w", err)
	}
	b := bc.Bounds()
	m := Matrix{N: b.Dx()}
	m.bits = make([]byte, m.N*m.stride())
	for y := 0; y < m.N; y++ {
		for x := 0; x < m.N; x++ {
			if r, _, _, _ := bc.At(b.Min.X+x, b.Min.Y+y).RGBA(); r < 0x8000 {
				m.bits[y*m.stride()+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return m, nil
}

// Bytes is the matrix as stored with its payload: the module count, then the rows.
func (m Matrix) Bytes() []byte { return append([]byte{byte(m.N)}, m.bits...) }

// MatrixFromBytes reads what Bytes wrote.
func MatrixFromBytes(b []byte) (Matrix, error) {
	if len(b) < 1 || b[0] < 21 || b[0] > 177 || (b[0]-17)%4 != 0 {
		return Matrix{}, errors.New("stored qr symbol: bad module count")
	}
	m := Matrix{N: int(b[0]), bits: b[1:]}
	if len(m.bits) != m.N*m.stride() {
		return Matrix{}, errors.New("stored qr symbol: wrong length")
	}
	return m, nil
}

// MinSize is the smallest image of the code that can be read: MinModulePixels
// per module with the quiet zone, and never below MinSize.
func (m Matrix) MinSize() int { return max(MinSize, MinModulePixels*(m.N+2*QuietZone)) }

// DefaultSize is the image size without ?size=: the configured size, or more
// where the code needs it to have FarModulePixels per module.
func (m Matrix) DefaultSize(configured int) int {
	return min(MaxSize, max(configured, FarModulePixels*(m.N+2*QuietZone)))
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

// PNG is the code as a size×size black and white PNG (1 bit per pixel). Each row
// of modules is drawn once and its pixels repeated, and the image is written
// straight from those rows: no image.Image in between.
func (m Matrix) PNG(size int) ([]byte, error) {
	scale, off, err := m.layout(size)
	if err != nil {
		return nil, err
	}
	rowLen := 1 + (size+7)/8 // filter type byte, then the pixels (1 is white)
	white := make([]byte, rowLen)
	for i := 1; i < rowLen; i++ {
		white[i] = 0xFF
	}
	if size%8 != 0 {
		white[rowLen-1] = 0xFF << (8 - size%8) // padding bits are zero
	}
	var idat bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&idat)
	row := make([]byte, rowLen)
	for py := 0; py < size; py++ {
		y := (py - off) / scale
		if py < off || y >= m.N {
			zw.Write(white)
			continue
		}
		if (py-off)%scale == 0 {
			copy(row, white)
			for x := 0; x < m.N; x++ {
				if m.Dark(x, y) {
					for px := off + x*scale; px < off+(x+1)*scale; px++ {
						row[1+px/8] &^= 0x80 >> (px % 8)
					}
				}
			}
		}
		zw.Write(row)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8], ihdr[9] = 1, 0 // 1-bit greyscale; compression, filter and interlace 0
	pngChunk(&out, "IHDR", ihdr[:])
	pngChunk(&out, "IDAT", idat.Bytes())
	pngChunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

// zlibWriters keeps compressors between images: each holds about a megabyte of
// tables that would otherwise be allocated per image.
var zlibWriters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level: no error
	return zw
}}

func pngChunk(w *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	w.WriteString(kind)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
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
