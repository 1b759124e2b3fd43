"""Who wrote a document and when: metadata layers, most specific first.

1. the sidecar `<file name>.meta.toml` beside the document,
2. the document's front matter,
3. `_collection.meta.toml` in its folder or a parent folder (the nearest wins),
4. what the document says of itself (Gutenberg header, HTML head, masthead),
5. the file name.

When a collection names the work ("The King James Bible"), the document's own title
("Genesis") becomes the section of its blocks that have none.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from embeddings.documents import DocumentMeta
from embeddings.ingest.discovery import COLLECTION_FILE, SIDECAR_SUFFIX, SIDECAR_SUFFIXES
from embeddings.ingest.errors import IngestError
from embeddings.ingest.languages import language_code
from embeddings.ingest.pieces import EMPTY_META
from embeddings.ingest.values import BIDI_CONTROLS, date_value, text_value, web_address

_KEYS = ("title", "author", "date", "url", "collection", "language")
_SEPARATORS = re.compile(r"[-_\s]+")


@dataclass(frozen=True)
class Resolved:
    meta: DocumentMeta
    section_prefix: str  # for blocks without a section; "" for none


def resolve(root: Path, source: str, *, front: DocumentMeta, own: DocumentMeta) -> Resolved:
    sidecar = load_meta_file(root, root / (source + SIDECAR_SUFFIX), source, "sidecar")
    sidecar, front, own = _shown(sidecar), _shown(front), _shown(own)
    collection = _shown(collection_defaults(root, source))
    by_name = DocumentMeta(title=title_from_filename(PurePosixPath(source).name))
    meta = sidecar.merged_over(front).merged_over(collection).merged_over(own)
    meta = meta.merged_over(by_name)
    prefix = ""
    shared_title = collection.title and not sidecar.title and not front.title
    if shared_title and own.title and own.title != collection.title:
        prefix = own.title
    if collection.title and not meta.collection:
        meta = replace(meta, collection=collection.title)
    return Resolved(meta, prefix)


def _shown(meta: DocumentMeta) -> DocumentMeta:
    """Metadata as cards may show it, whatever wrote it (a sidecar, front matter, an HTML
    head, a masthead): no bidi controls, which turn the author shown after a title around;
    a link only when it is a web address Discord takes, so that the next source's link,
    or none, is shown instead."""
    return DocumentMeta(
        title=_visible(meta.title),
        author=_visible(meta.author),
        date=_visible(meta.date),
        url=web_address(meta.url),
        collection=_visible(meta.collection),
        language=meta.language,
    )


def _visible(value: str) -> str:
    return " ".join(BIDI_CONTROLS.sub("", value).split())


def metadata_paths(root: Path, source: str) -> list[Path]:
    """The files inside the root that shape how `source` is described and searched: its
    sidecar, its companion and the collection files of its folders. A change to any is a
    change to it."""
    folders = [root]
    for part in PurePosixPath(source).parent.parts:
        folders.append(folders[-1] / part)
    own = [root / (source + suffix) for suffix in SIDECAR_SUFFIXES]
    candidates = own + [f / COLLECTION_FILE for f in folders]
    inside = root.resolve()
    return [p for p in candidates if p.is_file() and p.resolve().is_relative_to(inside)]


def collection_defaults(root: Path, source: str) -> DocumentMeta:
    """`_collection.meta.toml` files from the document's folder up to the root, merged."""
    folders = [root]
    for part in PurePosixPath(source).parent.parts:
        folders.append(folders[-1] / part)
    meta = EMPTY_META
    for folder in folders:  # root first, so nearer folders override
        found = load_meta_file(root, folder / COLLECTION_FILE, source, "collection metadata")
        meta = found.merged_over(meta)
    return meta


def load_meta_file(root: Path, path: Path, source: str, what: str) -> DocumentMeta:
    """A metadata TOML file's fields; empty when there is none inside the root."""
    if not path.is_file() or not path.resolve().is_relative_to(root.resolve()):
        return EMPTY_META  # a link to a file elsewhere is not the corpus's metadata
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise IngestError(source, f"broken {what} {name} ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(source, f"cannot read {what} {name} ({exc})") from exc
    fields: dict[str, str] = {}
    for key in _KEYS:
        value = data.get(key)
        text = date_value(value) if key == "date" else text_value(value)
        if text is None:
            raise IngestError(source, f"broken {what} {name} ({key} is not text)")
        fields[key] = text
    fields["language"] = language_code(fields["language"])
    return DocumentMeta(**fields)


def title_from_filename(name: str) -> str:
    """ "my-essay_v2.md" -> "My essay v2": the last resort for a title."""
    words = _SEPARATORS.sub(" ", PurePosixPath(name).stem).strip()
    return words[:1].upper() + words[1:]
