#!/usr/bin/env python3
"""Documents for tests/bench/extract_bench.sh (stdlib only).

    make_bench_docs.py OUTDIR [PAGES]

writes, from the same text (PAGES pages, default 1000, ~450 words a page):
    big.docx       the text as Word writes it (styled runs, ~60 words a paragraph)
    big.pdf        the same text, ~48 lines a page, Flate-compressed streams
    att20.docx     big.docx plus an incompressible image: a 20 MB attachment
    att20.pdf      big.pdf plus an incompressible image: a 20 MB attachment
    words.txt      the exact word count of the text (SPEC section 4)

The words are drawn with a fixed seed from the known paragraphs of
tests/fixtures/make_docs.py (English, French, Spanish, Russian, Arabic:
every token holds a letter, so each is one word), which keeps the XML about
as compressible as a real document's (a repeated paragraph would compress
1000:1 and look like a zip bomb).
"""
import io
import os
import random
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import make_docs  # noqa: E402

WORDS_PER_PAGE = 450
ATTACHMENT_BYTES = 20 * 1000 * 1000


def vocabulary():
    vocab = []
    for lang in ("en", "fr", "es", "ru", "ar"):
        for p, _ in make_docs.TEXTS[lang]:
            vocab += p.split(" ")
    return vocab


def paragraphs(pages):
    rnd = random.Random(20240601)
    vocab = vocabulary()
    total = pages * WORDS_PER_PAGE
    out, n = [], 0
    while n < total:
        k = min(rnd.randint(30, 90), total - n)
        out.append(" ".join(rnd.choice(vocab) for _ in range(k)))
        n += k
    return out, n


def docx_paragraph(p, rnd):
    """Runs of 3-12 words with the formatting Word writes on every run."""
    words = p.split(" ")
    runs, i = [], 0
    while i < len(words):
        k = rnd.randint(3, 12)
        chunk = " ".join(words[i:i + k]) + (" " if i + k < len(words) else "")
        bold = '<w:b/>' if rnd.random() < 0.1 else ""
        runs.append('<w:r w:rsidR="00A1%04X"><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" '
                    'w:cs="Arial"/>%s<w:sz w:val="24"/><w:szCs w:val="24"/><w:lang w:val="en-GB"/>'
                    '</w:rPr><w:t xml:space="preserve">%s</w:t></w:r>' % (
                        rnd.randint(0, 0xFFFF), bold, make_docs.esc(chunk)))
        i += k
    return ('<w:p w:rsidR="00B2%04X"><w:pPr><w:spacing w:after="160" w:line="259" w:lineRule="auto"/>'
            '<w:jc w:val="both"/></w:pPr>%s</w:p>' % (rnd.randint(0, 0xFFFF), "".join(runs)))


def make_docx(paras, padding=0):
    rnd = random.Random(7)
    body = "".join(docx_paragraph(p, rnd) for p in paras)
    extra = []
    if padding > 0:
        extra.append(("word/media/image1.png", os.urandom(padding), zipfile.ZIP_STORED))
    return make_docs.docx_bytes(make_docs.docx_document(body), extra=extra)


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    outdir = sys.argv[1]
    pages = int(sys.argv[2]) if len(sys.argv) == 3 else 1000
    os.makedirs(outdir, exist_ok=True)
    paras, nwords = paragraphs(pages)
    docx = make_docx(paras)
    pdf = make_docs.make_pdf(paras, True, compress=True)
    files = {
        "big.docx": docx,
        "big.pdf": pdf,
        "att20.docx": make_docx(paras, max(0, ATTACHMENT_BYTES - len(docx))),
        "att20.pdf": make_docs.make_pdf(paras, True, compress=True,
                                        image_bytes=max(0, ATTACHMENT_BYTES - len(pdf))),
        "words.txt": b"%d\n" % nwords,
    }
    for name, data in files.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
