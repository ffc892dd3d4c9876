package qr

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
	margin       = 36.0
	codeSide     = 500.0 // the code with its quiet zone: 176 mm
	nameTop      = margin + 40
)

// The business name's sizes in points: the largest that fits in three lines.
const (
	nameMaxSize, nameMinSize = 30.0, 14.0
	nameLines                = 3
)

// box is a rectangle on the page in points, from its top-left corner.
type box struct{ x, top, w, h float64 }

// posterLayout is what Poster drew, for its tests: where the name's lines and the
// code are, at which size the name is set, and the name's coverage.
type posterLayout struct {
	nameLines []box
	nameSize  float64
	code      box
	coverage  Coverage
}

// Poster is an A4 PDF: the business name, the code with its quiet zone, and the
// scanning instruction in Malay and English. Every text is shaped with the
// embedded Noto fonts (Latin, Tamil, Arabic for Jawi, Chinese), right to left
// where its script is; a character none of them has is written as its code
// point. The code is drawn as vector rectangles, so that it prints sharp at any
// size.
func Poster(m Matrix, venueID, businessName string) ([]byte, error) {
	b, _, err := poster(m, venueID, businessName)
	return b, err
}

func poster(m Matrix, venueID, businessName string) ([]byte, posterLayout, error) {
	t := posterType
	t.mu.Lock()
	defer t.mu.Unlock()
	var lay posterLayout
	p := newPDFPage(t, pageW, pageH)
	width := pageW - 2*margin
	centred := func(s string, base typeface, size, top float64) ([]box, error) {
		lines, err := t.set(s, base, size, width)
		if err != nil {
			return nil, err
		}
		var boxes []box
		for i, l := range lines {
			lineTop := top + float64(i)*size*1.25
			x := (pageW - l.width) / 2
			p.line(l, size, x, lineTop+size)
			boxes = append(boxes, box{x, lineTop, l.width, size * 1.25})
		}
		return boxes, nil
	}

	p.fill(0)
	if _, err := centred(posterHeading, latinBold, 24, margin); err != nil {
		return nil, lay, err
	}

	name, cov, err := t.drawable(businessName, latinBold)
	if err != nil {
		return nil, lay, err
	}
	lay.coverage = cov
	size := nameMaxSize
	for ; size > nameMinSize; size -= 2 {
		lines, err := t.set(name, latinBold, size, width)
		if err != nil {
			return nil, lay, err
		}
		if len(lines) <= nameLines {
			break
		}
	}
	if lay.nameLines, err = centred(name, latinBold, size, nameTop); err != nil {
		return nil, lay, err
	}
	lay.nameSize = size
	y := nameTop + float64(len(lay.nameLines))*size*1.25

	// The code, below the name.
	codeTop := max(y+8, nameTop+float64(nameLines)*nameMaxSize*1.25+8)
	module := codeSide / float64(m.N+2*QuietZone)
	left := (pageW - codeSide) / 2
	lay.code = box{left, codeTop, codeSide, codeSide}
	m.runs(func(x, row, n int) {
		// A hair of overlap below each row keeps viewers from drawing seams.
		p.rect(left+float64(x+QuietZone)*module, codeTop+float64(row+QuietZone)*module, float64(n)*module, module+0.05)
	})

	y = codeTop + codeSide + 10
	for _, s := range []struct {
		text string
		face typeface
	}{{posterScanMS, latinBold}, {posterScanEN, latinRegular}} {
		lines, err := centred(s.text, s.face, 14, y)
		if err != nil {
			return nil, lay, err
		}
		y += float64(len(lines)) * 14 * 1.25
	}

	p.fill(0.35)
	y = pageH - margin - 39
	for _, s := range []string{posterSignedMS, posterSignedEN, "Venue ID / ID premis: " + venueID} {
		if _, err := centred(s, latinRegular, 9, y); err != nil {
			return nil, lay, err
		}
		y += 13
	}
	b, err := p.bytes("QR code: " + businessName)
	return b, lay, err
}
