"""Fonts and text of the printed sheets, in English or Hindi.

- Latin text (road names, police stations, numbers) is set in DejaVu Sans (Debian's
  ``fonts-dejavu-core``), else the built-in Helvetica.
- Hindi sheets (``lang='hi'``) set every Devanagari word in Noto Sans Devanagari (Debian's
  ``fonts-noto-core``, found at its Debian path; a clear :class:`FontMissingError` otherwise) and
  turn on ReportLab's text shaping (HarfBuzz, the ``uharfbuzz`` package), so conjuncts and matras
  (दुर्घटना, क्षेत्र, ज़िला) are drawn as a reader expects. Noto Sans Devanagari has no Latin letters: a
  word holding Devanagari is set in it, with the punctuation around it, the other words in the
  Latin font (:func:`markup`). ReportLab shapes a word with the font of its first character, so
  a word never mixes the two fonts (callers mark up whole phrases, ``'अवधि:'`` not ``'अवधि' + ':'``).
  DejaVu Sans is registered unshaped (:class:`UnshapedTTFont`): HarfBuzz's discretionary
  ligatures would otherwise draw ``st`` as one glyph and lose it from the PDF's text.
- Numbers stay in international digits.
"""

from __future__ import annotations

import re
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont

from roadsafety.errors import ExportError

LATIN_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
DEVANAGARI_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/noto"),
    Path("/usr/share/fonts/opentype/noto"),
)
DEVANAGARI = "NotoSansDevanagari"
_DEVANAGARI_WORD = re.compile(r"\S*[\u0900-\u097F]\S*")
_LATIN_LETTERS = re.compile(r"[A-Za-z&]+")


class FontMissingError(ExportError):
    """A Hindi sheet was asked for but the Devanagari font (or the shaping package) is missing."""


class UnshapedTTFont(TTFont):
    """A TrueType font that paragraphs may shape around but whose own words are drawn unshaped:
    ReportLab leaves a word as it is when its font has no HarfBuzz font (``AttributeError``)."""

    def hbFont(self, fontSize: float = 10):  # noqa: N802 (ReportLab's name)
        raise AttributeError("Latin words of a Hindi sheet are not shaped")


def _family(name: str, regular: Path, bold: Path, kind: type[TTFont] = TTFont) -> None:
    pdfmetrics.registerFont(kind(name, str(regular)))
    pdfmetrics.registerFont(kind(f"{name}-Bold", str(bold)))
    registerFontFamily(
        name, normal=name, bold=f"{name}-Bold", italic=name, boldItalic=f"{name}-Bold"
    )


def body_fonts() -> tuple[str, str]:
    """(regular, bold) Latin font names: DejaVu Sans when installed (wide Unicode coverage for place
    names), else the built-in Helvetica (Latin-1 only)."""
    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return "DejaVuSans", "DejaVuSans-Bold"
    for folder in LATIN_DIRS:
        regular, bold = folder / "DejaVuSansCondensed.ttf", folder / "DejaVuSansCondensed-Bold.ttf"
        if regular.exists() and bold.exists():
            _family("DejaVuSans", regular, bold, UnshapedTTFont)
            return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def hindi_latin_fonts() -> tuple[str, str]:
    """(regular, bold) Latin font names of a Hindi sheet: DejaVu Sans (its words left unshaped,
    :class:`UnshapedTTFont`), the paragraphs' own font, so they shape their Devanagari words.

    Raises:
        FontMissingError: when DejaVu Sans is not installed (Helvetica cannot carry shaping).
    """
    fonts = body_fonts()
    if fonts[0] == "Helvetica":
        raise FontMissingError(
            "Hindi PDF needs DejaVu Sans for its Latin text: install Debian's fonts-dejavu-core "
            "(`make system-deps`), or use --lang en"
        )
    return fonts


def devanagari_font() -> str:
    """Register Noto Sans Devanagari (regular and bold) once and return its name.

    Raises:
        FontMissingError: when the font files or the ``uharfbuzz`` shaping package are missing.
    """
    if DEVANAGARI in pdfmetrics.getRegisteredFontNames():
        return DEVANAGARI
    try:
        import uharfbuzz  # noqa: F401  (ReportLab shapes text with it)
    except ImportError:
        raise FontMissingError(
            "Hindi PDF needs the uharfbuzz package for text shaping: run `make install`"
        ) from None
    for folder in DEVANAGARI_DIRS:
        regular, bold = folder / f"{DEVANAGARI}-Regular.ttf", folder / f"{DEVANAGARI}-Bold.ttf"
        if regular.exists() and bold.exists():
            _family(DEVANAGARI, regular, bold)
            return DEVANAGARI
    raise FontMissingError(
        f"Hindi PDF needs the font {DEVANAGARI}-Regular.ttf (looked in "
        f"{', '.join(str(d) for d in DEVANAGARI_DIRS)}): install Debian's fonts-noto-core "
        "(`make system-deps`, or apt-get install fonts-noto-core), or use --lang en"
    )


def escape(text: object) -> str:
    """Text made safe for a ReportLab paragraph (``&``, ``<``, ``>`` escaped)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _devanagari_word(word: str, latin: str) -> str:
    """A word holding Devanagari in the Devanagari font; Latin letters inside it (rare: ``NH-44पर``)
    stay in the Latin font, which the Devanagari font lacks."""
    parts = _LATIN_LETTERS.split(word)
    letters = _LATIN_LETTERS.findall(word)
    out = [f'<font name="{DEVANAGARI}">{escape(parts[0])}</font>' if parts[0] else ""]
    for letter_run, part in zip(letters, parts[1:], strict=True):
        out.append(f'<font name="{latin}">{escape(letter_run)}</font>')
        out.append(f'<font name="{DEVANAGARI}">{escape(part)}</font>' if part else "")
    return "".join(out)


def markup(text: object, lang: str = "en") -> str:
    """``text`` escaped for a paragraph; on Hindi sheets its Devanagari words set in the
    Devanagari font (the paragraph's own font stays the Latin one)."""
    if lang != "hi":
        return escape(text)
    latin = hindi_latin_fonts()[0]
    pieces, last = [], 0
    source = str(text)
    for match in _DEVANAGARI_WORD.finditer(source):
        pieces.append(escape(source[last : match.start()]))
        pieces.append(_devanagari_word(match.group(0), latin))
        last = match.end()
    pieces.append(escape(source[last:]))
    return "".join(pieces)
