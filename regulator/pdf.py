"""HTML to PDF through WeasyPrint, with the CJK fonts subset per document before WeasyPrint sees them.

WeasyPrint subsets every embedded font itself, but with retained glyph ids: a 65,000-glyph CJK face keeps an
empty slot for every glyph up to the highest one used, some 160 KB per face, so a one-page notice came to
~300 KB with the fonts 98% of it. Here the document's own characters are cut out of each face first
(HarfBuzz's subsetter, without retained ids, ~20 ms a face), handed to WeasyPrint as `@font-face` rules of
the family `SUBSET_FAMILY`, and WeasyPrint's own subset of that small font has nothing left to retain: the
notice comes to ~40 KB, rendered no slower (WeasyPrint no longer copies and subsets the 20 MB collection).

The templates name `SUBSET_FAMILY` first and "Noto Sans CJK SC" after it, so a character missing from the
subset, or a machine without libharfbuzz-subset or the Noto faces (then `write_pdf` is bare WeasyPrint),
still prints with the full face: only bigger.
"""

import base64
import functools
import html
import logging
import threading

logger = logging.getLogger(__name__)

SUBSET_FAMILY = "Noto Sans CJK SC Subset"
SOURCE_FAMILY = "Noto Sans CJK SC"
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
def _source_faces() -> tuple[tuple[int, object], ...]:
    """(weight, HarfBuzz face) of SOURCE_FAMILY's installed faces; empty if the family is not installed."""
    libraries = _libraries()
    if libraries is None:
        return ()
    faces = []
    with libraries.lock:
        for weight in WEIGHTS:
            found = libraries.match(SOURCE_FAMILY, weight)
            face = libraries.face(*found) if found else None
            if face is not None:
                faces.append((weight, face))
    if not faces:
        logger.warning("%s is not installed: PDFs fall back to WeasyPrint's own font subsets", SOURCE_FAMILY)
    return tuple(faces)


def document_characters(source: str) -> frozenset[str]:
    """Every character the document can print: its source (text, attributes, inline CSS) unescaped, plus ALWAYS."""
    return frozenset(html.unescape(source)) | ALWAYS


def font_face_css(characters) -> str:
    """`@font-face` rules of SUBSET_FAMILY, one per installed weight, each face cut down to `characters`."""
    libraries = _libraries()
    rules = []
    for weight, face in _source_faces():
        data = libraries.subset(face, sorted(characters))
        if data:
            rules.append(
                f'@font-face {{ font-family: "{SUBSET_FAMILY}"; font-weight: {weight}; '
                f'src: url(data:font/otf;base64,{base64.b64encode(data).decode()}); }}'
            )
    return "\n".join(rules)


def write_pdf(source: str, *, base_url: str | None = None) -> bytes:
    """Render an HTML document (its CSS naming SUBSET_FAMILY first) to PDF bytes."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    document = HTML(string=source, base_url=base_url)
    rules = font_face_css(document_characters(source))
    if not rules:
        return document.write_pdf()
    font_config = FontConfiguration()
    return document.write_pdf(stylesheets=[CSS(string=rules, font_config=font_config)], font_config=font_config)
