"""HTML to PDF through WeasyPrint, with the CJK fonts subset per document before WeasyPrint sees them.

WeasyPrint subsets every embedded font itself, but with retained glyph ids: a 65,000-glyph CJK face keeps an
empty slot for every glyph up to the highest one used, some 160 KB per face, so a one-page notice came to
~300 KB with the fonts 98% of it. Here the document's own characters are cut out of each face first
(HarfBuzz's subsetter, without retained ids, ~20 ms a face), handed to WeasyPrint as `@font-face` rules of
the family "<installed family> Subset", and WeasyPrint's own subset of that small font has nothing left to
retain: the notice comes to ~40 KB, rendered no slower (WeasyPrint no longer copies and subsets the 20 MB
collection).

Every family the document's CSS names as "<family> Subset" is cut this way when <family> is installed
(`SUBSET_FAMILY`, the Noto Sans face, by the weekly report; the enforcement documents name the title and body
faces that `font_stack` picks from the settings PDF_TITLE_FONT_FAMILIES and PDF_BODY_FONT_FAMILIES). The CSS
names the whole family after its subset, so a character missing from the subset, or a machine without
libharfbuzz-subset (then `write_pdf` is bare WeasyPrint), still prints with the full face: only bigger.
"""

import base64
import functools
import html
import logging
import re
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

SUBSET_SUFFIX = " Subset"
SOURCE_FAMILY = "Noto Sans CJK SC"
SUBSET_FAMILY = SOURCE_FAMILY + SUBSET_SUFFIX
# GB/T 9704-2012: the title in a Song-style face (小标宋), the body in FangSong (仿宋_GB2312); the first family
# installed on the machine is used, Noto Serif CJK SC (fonts-noto-cjk) where none of the official faces is.
DEFAULT_TITLE_FAMILIES = ("方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK", "Noto Serif CJK SC")
DEFAULT_BODY_FAMILIES = ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC")
_SUBSET_NAME = re.compile(r"""["']([^"';,{}]+?)""" + re.escape(SUBSET_SUFFIX) + r"""["']""")
WEIGHTS = (400, 700)  # the installed faces (fonts-noto-cjk ships Regular and Bold)
# Characters a document may print that are not in its source: counters, list markers, ellipses.
ALWAYS = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("•◦▪…–—·")

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
void hb_face_destroy(hb_face_t *face);
void hb_set_add(hb_set_t *set, uint32_t codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);

typedef struct _FcPattern FcPattern;
typedef struct _FcConfig FcConfig;
FcPattern *FcNameParse(const unsigned char *name);
int FcConfigSubstitute(FcConfig *config, FcPattern *p, int kind);
void FcDefaultSubstitute(FcPattern *pattern);
FcPattern *FcFontMatch(FcConfig *config, FcPattern *p, int *result);
int FcPatternGetString(const FcPattern *p, const char *object, int n, unsigned char **s);
int FcPatternGetInteger(const FcPattern *p, const char *object, int n, int *i);
void FcPatternDestroy(FcPattern *p);
"""
HB_SUBSET_FLAGS_DESUBROUTINIZE = 0x4  # WeasyPrint desubroutinizes anyway; doing it here keeps the face small
FC_MATCH_PATTERN = 0


class _Libraries:
    """cffi bindings of HarfBuzz's subsetter and fontconfig's matcher, loaded once per process."""

    def __init__(self):
        import cffi

        self.ffi = cffi.FFI()
        self.ffi.cdef(_CDEF)
        self.hb = self.ffi.dlopen("libharfbuzz.so.0")
        self.hb_subset = self.ffi.dlopen("libharfbuzz-subset.so.0")
        self.fc = self.ffi.dlopen("libfontconfig.so.1")
        self.lock = threading.Lock()
        self.faces = {}

    def match(self, family: str, weight: int) -> tuple[str, int] | None:
        """(file, index) of the installed face fontconfig picks for family and weight, or None if not that family."""
        ffi, fc = self.ffi, self.fc
        # fontconfig's weight scale: 80 regular, 200 bold
        pattern = ffi.gc(fc.FcNameParse(f"{family}:weight={80 if weight < 600 else 200}".encode()),
                         fc.FcPatternDestroy)
        fc.FcConfigSubstitute(ffi.NULL, pattern, FC_MATCH_PATTERN)
        fc.FcDefaultSubstitute(pattern)
        result = ffi.new("int *")
        matched = fc.FcFontMatch(ffi.NULL, pattern, result)
        if matched == ffi.NULL:
            return None
        matched = ffi.gc(matched, fc.FcPatternDestroy)
        string, index = ffi.new("unsigned char **"), ffi.new("int *")
        families = set()
        for n in range(16):
            if fc.FcPatternGetString(matched, b"family", n, string) != 0:
                break
            families.add(ffi.string(string[0]).decode())
        if family not in families or fc.FcPatternGetString(matched, b"file", 0, string) != 0:
            return None
        path = ffi.string(string[0]).decode()
        fc.FcPatternGetInteger(matched, b"index", 0, index)
        return path, index[0]

    def face(self, path: str, index: int):
        """The HarfBuzz face of one font of a file (mapped, not read), kept for the life of the process."""
        if (path, index) not in self.faces:
            blob = self.hb.hb_blob_create_from_file_or_fail(path.encode())
            if blob == self.ffi.NULL:
                return None
            self.faces[path, index] = self.hb.hb_face_create(blob, index)
            self.hb.hb_blob_destroy(blob)  # the face holds its own reference
        return self.faces[path, index]

    def subset(self, face, characters) -> bytes:
        ffi, hb, hb_subset = self.ffi, self.hb, self.hb_subset
        subset_input = ffi.gc(hb_subset.hb_subset_input_create_or_fail(), hb_subset.hb_subset_input_destroy)
        unicodes = hb_subset.hb_subset_input_unicode_set(subset_input)
        for character in characters:
            hb.hb_set_add(unicodes, ord(character))
        hb_subset.hb_subset_input_set_flags(subset_input, HB_SUBSET_FLAGS_DESUBROUTINIZE)
        subset_face = hb_subset.hb_subset_or_fail(face, subset_input)
        if subset_face == ffi.NULL:
            return b""
        try:
            blob = hb.hb_face_reference_blob(subset_face)
            length = ffi.new("unsigned int *")
            data = ffi.buffer(hb.hb_blob_get_data(blob, length), length[0])[:]
            hb.hb_blob_destroy(blob)
            return data
        finally:
            hb.hb_face_destroy(subset_face)


@functools.cache
def _libraries() -> _Libraries | None:
    try:
        return _Libraries()
    except (ImportError, OSError) as error:
        logger.warning("PDF fonts are embedded whole-face (WeasyPrint's own subset): %s", error)
        return None


@functools.cache
def _source_faces(family: str = SOURCE_FAMILY) -> tuple[tuple[int, object], ...]:
    """(weight, HarfBuzz face) of the family's installed faces; empty if the family is not installed."""
    libraries = _libraries()
    if libraries is None:
        return ()
    faces = []
    with libraries.lock:
        for weight in WEIGHTS:
            found = libraries.match(family, weight)
            face = libraries.face(*found) if found else None
            if face is not None:
                faces.append((weight, face))
    if not faces:
        logger.info("%s is not installed: not subset", family)
    return tuple(faces)


@functools.cache
def is_installed(family: str) -> bool:
    """Whether fontconfig has a face of exactly this family (not a substitute)."""
    libraries = _libraries()
    if libraries is None:
        return False
    with libraries.lock:
        return libraries.match(family, 400) is not None or libraries.match(family, 700) is not None


def installed_family(candidates) -> str:
    """The first of `candidates` installed on the machine, else the last (the fallback the CSS names anyway)."""
    candidates = tuple(candidates)
    return next((family for family in candidates if is_installed(family)), candidates[-1])


def font_stack(role: str) -> str:
    """The CSS font-family list of the documents' 'title' or 'body' face: its subset, itself, the other
    candidates, a generic family. The candidates are the setting PDF_TITLE_FONT_FAMILIES / PDF_BODY_FONT_FAMILIES."""
    setting, default = {
        "title": ("PDF_TITLE_FONT_FAMILIES", DEFAULT_TITLE_FAMILIES),
        "body": ("PDF_BODY_FONT_FAMILIES", DEFAULT_BODY_FAMILIES),
    }[role]
    candidates = tuple(getattr(settings, setting, default)) or default
    chosen = installed_family(candidates)
    families = [chosen + SUBSET_SUFFIX, chosen, *(family for family in candidates if family != chosen)]
    return ", ".join(f'"{family}"' for family in families) + ", serif"


def document_characters(source: str) -> frozenset[str]:
    """Every character the document can print: its source (text, attributes, inline CSS) unescaped, plus ALWAYS."""
    return frozenset(html.unescape(source)) | ALWAYS


def subset_families(source: str) -> tuple[str, ...]:
    """The families the document names as "<family> Subset", in order of first mention."""
    return tuple(dict.fromkeys(_SUBSET_NAME.findall(source)))


def font_face_css(characters, families=(SOURCE_FAMILY,)) -> str:
    """`@font-face` rules of "<family> Subset" for each family and installed weight, cut down to `characters`."""
    libraries = _libraries()
    rules = []
    for family in families:
        for weight, face in _source_faces(family):
            data = libraries.subset(face, sorted(characters))
            if data:
                rules.append(
                    f'@font-face {{ font-family: "{family}{SUBSET_SUFFIX}"; font-weight: {weight}; '
                    f'src: url(data:font/otf;base64,{base64.b64encode(data).decode()}); }}'
                )
    return "\n".join(rules)


def write_pdf(source: str, *, base_url: str | None = None) -> bytes:
    """Render an HTML document (its CSS naming "<family> Subset" before each CJK family) to PDF bytes."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    document = HTML(string=source, base_url=base_url)
    rules = font_face_css(document_characters(source), subset_families(source))
    if not rules:
        return document.write_pdf()
    font_config = FontConfiguration()
    return document.write_pdf(stylesheets=[CSS(string=rules, font_config=font_config)], font_config=font_config)
