package qr

import (
	"bytes"
	"fmt"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// The poster's text: fixed, bilingual (Malay first, then English).
const (
	posterHeading  = "DAFTAR MASUK / CHECK IN"
	posterScanMS   = "Imbas kod QR ini dengan kamera telefon anda untuk daftar masuk."
	posterScanEN   = "Scan this QR code with your phone camera to check in."
	posterSignedMS = "Kod ini ditandatangani secara digital: kod palsu akan ditolak."
	posterSignedEN = "This code is digitally signed: forged codes are refused."
)

// A4 in points, and the poster's margins and code size.
const (
	pageW, pageH = 595.28, 841.89
	margin       = 48.0
	codeSide     = 400.0 // the code with its quiet zone: 141 mm
)

// Poster is an A4 PDF: the business name, the code with its quiet zone, and the
// scanning instruction in Malay and English, in the embedded Go fonts. The code
// is drawn as vector rectangles, so that it prints sharp at any size. Characters
// the Go fonts lack (CJK, Tamil) print as the font's substitute glyph on the
// poster; the code itself always carries the exact name.
func Poster(m Matrix, venueID, businessName string) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{Unit: gopdf.UnitPT, PageSize: gopdf.Rect{W: pageW, H: pageH}})
	pdf.SetInfo(gopdf.PdfInfo{Title: "QR code: " + businessName, Creator: "check-in registry"})
	if err := pdf.AddTTFFontData("regular", goregular.TTF); err != nil {
		return nil, fmt.Errorf("poster font: %w", err)
	}
	if err := pdf.AddTTFFontData("bold", gobold.TTF); err != nil {
		return nil, fmt.Errorf("poster font: %w", err)
	}
	pdf.AddPage()
	w := pageW - 2*margin

	pdf.SetTextColor(0, 0, 0)
	y := margin
	if err := centred(pdf, "bold", 24, posterHeading, y, 30); err != nil {
		return nil, err
	}
	y += 48

	// The name, up to three lines at 30 pt, else smaller until it fits.
	var lines []string
	size := 30.0
	for ; size >= 14; size -= 2 {
		if err := pdf.SetFont("bold", "", size); err != nil {
			return nil, fmt.Errorf("poster font: %w", err)
		}
		var err error
		if lines, err = pdf.SplitTextWithWordWrap(businessName, w); err != nil {
			return nil, fmt.Errorf("poster name: %w", err)
		}
		if len(lines) <= 3 {
			break
		}
	}
	for _, line := range lines {
		if err := centred(pdf, "bold", size, line, y, size*1.25); err != nil {
			return nil, err
		}
		y += size * 1.25
	}

	// The code, centred in the space left between the name and the instructions.
	codeTop := max(y+12, 230.0)
	module := codeSide / float64(m.N+2*QuietZone)
	left := (pageW - codeSide) / 2
	pdf.SetFillColor(0, 0, 0)
	m.runs(func(x, row, n int) {
		// A hair of overlap below each row keeps viewers from drawing seams.
		pdf.RectFromUpperLeftWithStyle(left+float64(x+QuietZone)*module, codeTop+float64(row+QuietZone)*module,
			float64(n)*module, module+0.05, "F")
	})

	y = codeTop + codeSide + 16
	if err := centred(pdf, "bold", 16, posterScanMS, y, 22); err != nil {
		return nil, err
	}
	y += 24
	if err := centred(pdf, "regular", 15, posterScanEN, y, 22); err != nil {
		return nil, err
	}

	pdf.SetTextColor(90, 90, 90)
	y = pageH - margin - 40
	for _, s := range []string{posterSignedMS, posterSignedEN, "Venue ID / ID premis: " + venueID} {
		if err := centred(pdf, "regular", 9, s, y, 12); err != nil {
			return nil, err
		}
		y += 13
	}

	var buf bytes.Buffer
	if _, err := pdf.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write poster: %w", err)
	}
	return buf.Bytes(), nil
}

// centred writes one line of text centred across the page's text width at top y.
func centred(pdf *gopdf.GoPdf, font string, size float64, text string, y, h float64) error {
	if err := pdf.SetFont(font, "", size); err != nil {
		return fmt.Errorf("poster font: %w", err)
	}
	pdf.SetXY(margin, y)
	if err := pdf.CellWithOption(&gopdf.Rect{W: pageW - 2*margin, H: h}, text, gopdf.CellOption{Align: gopdf.Center | gopdf.Middle}); err != nil {
		return fmt.Errorf("poster text: %w", err)
	}
	return nil
}
