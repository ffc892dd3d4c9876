"""Regenerates the poster's fonts from Debian's Noto packages (make poster-fonts).

Latin, Tamil and Arabic (Jawi) keep every glyph and OpenType feature of their
script, so that shaping is exactly the full font's; only hinting (unused in a
PDF) and other scripts are dropped. Chinese keeps a fixed set of Han characters
(see hanzi() below) and no layout features: Han needs no shaping.
"""
import sys
from fontTools import subset
from fontTools.ttLib import TTFont

CORE = "/usr/share/fonts/truetype/noto/"
CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
CJK_SC = 2  # the font number of "Noto Sans CJK SC Bold" in that collection

# Latin with every diacritic Malay has ever been written with, and the
# punctuation, currency and symbols shop names use.
LATIN = "U+0020-007E,U+00A0-024F,U+0259,U+02B0-02FF,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20A0-20C0,U+2100-214F,U+2190-2199,U+25CC,U+FB00-FB06"
COMMON = "U+0020-0040,U+005B-0060,U+007B-007E,U+00A0,U+00AB,U+00BB,U+200B-200F,U+2010-2027,U+25CC"
TAMIL = COMMON + ",U+0B80-0BFF,U+11FC0-11FFF"
ARABIC = COMMON + ",U+0600-06FF,U+0750-077F,U+08A0-08FF,U+FB50-FDFF,U+FE70-FEFF"
CJK_EXTRA = COMMON + ",U+3000-303F,U+FF00-FFEF"


def hanzi():
    """Every Han character of GB 2312 (6,763: all of Simplified Chinese in common
    use, levels 1 and 2) and of Big5's level 1 (5,401 frequently used Traditional
    characters): 8,836 in all."""
    chars = set()
    for row in range(16, 88):
        for cell in range(1, 95):
            try:
                chars.add(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for hi in range(0xA4, 0xC7):
        for lo in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            if hi == 0xC6 and lo > 0x7E:
                break  # level 2 starts at C940; C6A1.. are not Han
            try:
                c = bytes([hi, lo]).decode("big5")
            except UnicodeDecodeError:
                continue
            if "\u4e00" <= c <= "\u9fff":
                chars.add(c)
    return "".join(sorted(chars))


def make(src, out, unicodes, text="", features="*", number=0):
    opts = subset.Options()
    opts.layout_features = [] if features == "" else ["*"]
    opts.hinting = False
    opts.desubroutinize = True
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.font_number = number
    font = subset.load_font(src, opts)
    s = subset.Subsetter(opts)
    s.populate(unicodes=subset.parse_unicodes(unicodes), text=text)
    s.subset(font)
    subset.save_font(font, out, opts)


def main(dest):
    make(CORE + "NotoSans-Regular.ttf", dest + "/NotoSans-Regular.ttf", LATIN)
    make(CORE + "NotoSans-Bold.ttf", dest + "/NotoSans-Bold.ttf", LATIN)
    make(CORE + "NotoSansTamil-Bold.ttf", dest + "/NotoSansTamil-Bold.ttf", TAMIL)
    make(CORE + "NotoNaskhArabic-Bold.ttf", dest + "/NotoNaskhArabic-Bold.ttf", ARABIC)
    make(CJK, dest + "/NotoSansCJKsc-Bold.otf", CJK_EXTRA, text=hanzi(), features="", number=CJK_SC)


if __name__ == "__main__":
    main(sys.argv[1])
