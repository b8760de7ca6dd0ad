"""The search engine: every Whoosh import lives here, so a later swap touches one module.

Index layout (under settings.index_dir): a Whoosh index with
  fid    the ArchiveFile id (unique; update/delete by it),
  grams  1- and 2-grams of the normalised content text (existence only: no positions, no scores),
  names  1- and 2-grams of the normalised file name and title,
  meta   a column with the per-document data queries need (text offset, department, year, ...),
plus the text store (library.textstore) holding the normalised text the grams came from.

A query reads posting lists block by block into Python sets (C-speed set algebra), then checks the
candidates against the text store: exact substring semantics without Whoosh's per-position phrase
matching, which is what makes naive 2-gram phrase search slow.
"""

from __future__ import annotations

import shutil
import struct
import sys
import threading
import time
import types
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from whoosh import formats, index
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher, W3PostingsWriter
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, FieldType, Schema
from whoosh.filedb import compound
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.reading import SegmentReader, TermNotFound

from core.locks import LockFile, LockHeld
from library.textstore import STORE_NAME, TextAppender, TextReader

# Indexes written before the package was renamed (issue 15: `indexer` became `library`) pickled their
# schema's field types as `indexer.engine.<class>`: those names resolve to this module, so an existing
# index opens without a rebuild (tests/test_upgrade.py reads one).
if "indexer" not in sys.modules:  # a bare stand-in: only `indexer.engine` resolves, never a second copy
    _old_name = types.ModuleType("indexer", "The library package's old name, for indexes pickled under it.")
    _old_name.__path__ = []  # a package with nothing to find: `import indexer.<other>` fails
    sys.modules["indexer"] = _old_name
sys.modules.setdefault("indexer.engine", sys.modules[__name__])


class _ViewFile:
    """A read-only file over a memoryview, read in place.

    Whoosh opens each segment's sub-files as memoryviews of one mmap and wraps them in BufferFile,
    whose BytesIO copies the whole view: every process would hold a private copy of every segment
    (about 1.6 KB per document). This reads the mapped pages instead, which the OS shares and can drop.
    """

    __slots__ = ("_pos", "_view")

    def __init__(self, view: Any) -> None:
        self._view = memoryview(view).cast("B")
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        self._pos = end
        return self._view[start:end].tobytes()

    def peek(self, size: int = 1) -> bytes:
        # Lets the C unpickler read a small pickle in one go instead of a read() call per opcode. It asks
        # for 8 KB; Whoosh's block headers are a few hundred bytes, and it reads on when one is longer.
        return self._view[self._pos:self._pos + min(max(1, size), 512)].tobytes()

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        end = self._pos
        while end < limit:
            chunk = self._view[end:min(limit, end + 4096)].tobytes()
            cut = chunk.find(b"\n")
            if cut >= 0:
                end += cut + 1
                break
            end += len(chunk)
        return self.read(end - self._pos)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._pos = 0


class _MappedBufferFile(BufferFile):
    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _ViewFile(buf)


compound.BufferFile = _MappedBufferFile  # the one place Whoosh wraps a segment's mapped sub-files

LOCK_NAME = "writer.lock"
_HEADER = struct.Struct("<qqiiHBBq")  # fid, text offset, text length, department id, year, class, public, mtime


class IndexLocked(RuntimeError):
    """Another process holds the index writer lock."""


class GramField(FieldType):
    """An indexed field whose value is an iterable of ready-made grams (no analyzer, no positions)."""

    def __init__(self) -> None:
        self.format = formats.Existence()
        self.analyzer = None
        self.scorable = False
        self.stored = False
        self.unique = False
        self.vector = None
        self.column_type = None

    def index(self, value: Iterable[str], **kwargs: Any) -> list[tuple[bytes, int, float, bytes]]:
        return [(g.encode("utf-8"), 1, 1.0, b"") for g in value]

    def self_parsing(self) -> bool:
        return True


class _Codec(W3Codec):
    # Block length statistics serve Whoosh's scorers, which we do not use; collecting them costs a
    # column lookup (or a stat() of a missing file) per posting.
    length_stats = False

    def field_writer(self, storage: Any, segment: Any) -> Any:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)


class _Postings:
    """The pool's postings grouped by field and term, so the field writer can write whole posting lists."""

    def __init__(self, fields: dict[str, dict[str, array[int]]]) -> None:
        self.fields = fields

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for field in sorted(self.fields):
            terms = self.fields[field]
            for term in sorted(terms):  # code point order = UTF-8 byte order
                tbytes = term.encode("utf-8")
                for docnum in sorted(terms[term]):
                    yield (field, tbytes, docnum, 1.0, b"")


class _FieldWriter(W3FieldWriter):
    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        if not isinstance(items, _Postings) or lengths:
            return super().add_postings(schema, lengths, items)
        # Whoosh's generic loop makes several Python calls per posting; ours hands the postings writer
        # each term's document numbers at once.
        for field in sorted(items.fields):
            terms = items.fields[field]
            self.start_field(field, schema[field])
            for term in sorted(terms):
                ids = sorted(terms[term])  # in order already almost always: linear
                self.start_term(term.encode("utf-8"))
                self._postwriter.add_ids(ids)
                self.finish_term()
            self.finish_field()
        return None


class _PostingsWriter(W3PostingsWriter):
    _maxweight: float  # set by W3PostingsWriter

    def add_ids(self, ids: list[int]) -> None:
        """Add postings of weight 1 without values, filling whole blocks at a time."""
        limit = self._blocklimit
        while ids:
            if len(self._ids) >= limit:
                self._write_block()
            room = limit - len(self._ids)
            chunk, ids = ids[:room], ids[room:]
            self._ids.extend(chunk)
            self._weights.extend([1.0] * len(chunk))
            self._maxweight = max(self._maxweight, 1.0)


class _ListPool:
    """Postings kept in memory as {field: {term: array of docnums}}: batches are bounded by the caller.

    Every field of the schema has existence postings (weight 1, no value), so document numbers are all
    a posting needs. Packed 32-bit arrays rather than lists: a merge feeds every posting of the merged
    segments through this pool, and a list spends 8 bytes per posting plus an int object per merged one.
    """

    def __init__(self) -> None:
        self.fields: dict[str, dict[str, array[int]]] = {}
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[Any, ...]) -> None:
        # From Whoosh itself (the fid field, merged segments): (fieldname, term bytes, docnum, weight, value).
        if item[3] != 1.0 or item[4]:
            raise ValueError(f"unexpected posting with weight or value in field {item[0]}")
        terms = self.fields.setdefault(item[0], {})
        term = item[1].decode("utf-8")
        docs = terms.get(term)
        if docs is None:
            terms[term] = array("i", (item[2],))
        else:
            docs.append(item[2])

    def add_document_terms(self, field: str, docnum: int, grams: Iterable[str]) -> None:
        """Add one document's grams to `field` (the hot path of indexing: one dict lookup per gram)."""
        terms = self.fields.setdefault(field, {})
        get = terms.get
        for gram in grams:
            docs = get(gram)
            if docs is None:
                terms[gram] = array("i", (docnum,))
            else:
                docs.append(docnum)

    def iter_postings(self) -> _Postings:
        return _Postings(self.fields)

    def cleanup(self) -> None:
        self.fields = {}


TIER_SEGMENTS = 8


def _merge_tiered(writer: Any, segments: list[Any]) -> list[Any]:
    # Merge segments of the same size tier (<1k, <10k, ... documents) once a tier holds 8 of them:
    # each posting is rewritten about once per tier instead of at nearly every commit.
    tiers: dict[int, list[Any]] = {}
    for seg in segments:
        tiers.setdefault(len(str(max(1, seg.doc_count_all()))), []).append(seg)
    keep = []
    for tier in sorted(tiers):
        group = tiers[tier]
        if len(group) >= TIER_SEGMENTS:
            for seg in group:
                reader = SegmentReader(writer.storage, writer.schema, seg)
                writer.add_reader(reader)
                reader.close()
        else:
            keep.extend(group)
    return keep


def make_schema() -> Schema:
    """Return the index schema."""
    return Schema(fid=ID(unique=True), grams=GramField(), names=GramField(), meta=COLUMN(VarBytesColumn()))


@dataclass(frozen=True)
class IndexDoc:
    """One document as the writer receives it (text, name and title already normalised)."""

    fid: int
    text: str
    grams: set[str]
    name: str
    title: str
    name_grams: set[str]
    kind: str
    department_id: int | None
    year: int | None
    classification: int
    public: bool
    mtime_ns: int


@dataclass(frozen=True)
class DocMeta:
    """What a query knows about a document without touching the database."""

    fid: int
    offset: int
    length: int
    department_id: int | None
    year: int | None
    classification: int
    public: bool
    mtime_ns: int
    kind: str
    name: str
    title: str


def _pack(doc: IndexDoc, offset: int, length: int) -> bytes:
    head = _HEADER.pack(doc.fid, offset, length, doc.department_id or -1, doc.year or 0,
                        doc.classification, int(doc.public), doc.mtime_ns)
    return head + "\x00".join((doc.kind, doc.name, doc.title)).encode("utf-8")


def _unpack(raw: bytes) -> DocMeta:
    fid, off, ln, dept, year, cls, pub, mtime = _HEADER.unpack_from(raw)
    kind, name, title = raw[_HEADER.size:].decode("utf-8").split("\x00", 2)
    return DocMeta(fid, off, ln, None if dept < 0 else dept, year or None, cls, bool(pub), mtime, kind, name, title)


def index_exists(index_dir: Path) -> bool:
    """Return True when a Whoosh index has been created in `index_dir`.

    Looks for a table of contents by name only: opening it (as whoosh.index.exists_in does) races the
    writer, which deletes the previous generation's TOC when it commits a new one.
    """
    if not index_dir.is_dir():
        return False
    return index.TOC._latest_generation(FileStorage(str(index_dir)), index._DEF_INDEX_NAME) >= 0


# ---------------------------------------------------------------------------------------------- writing


class IndexWriter:
    """The only writer of the index: holds <index_dir>/writer.lock for its whole life."""

    def __init__(self, index_dir: Path, *, limitmb: int = 256) -> None:
        self.index_dir = index_dir
        self.limitmb = limitmb
        index_dir.mkdir(parents=True, exist_ok=True)
        self._lock = LockFile(index_dir / LOCK_NAME)
        try:
            self._lock.acquire()
        except LockHeld as held:
            raise IndexLocked(
                f"索引写入进程已在运行（{held.holder}），同一索引只能有一个写入进程；"
                "请先停止它（通常是 eoffice worker）。"
                f" Another index writer ({held.holder}) holds {held.path}; stop it first."
            ) from None
        try:
            if not index_exists(index_dir):
                self._create()
            self._ix = index.open_dir(str(index_dir))
            self._store = TextAppender(index_dir)
        except BaseException:
            self.close()
            raise
        self._writer: Any = None

    def _create(self) -> None:
        index.create_in(str(self.index_dir), make_schema())
        (self.index_dir / STORE_NAME).unlink(missing_ok=True)
        (self.index_dir / STORE_NAME).touch()

    def reset(self) -> None:
        """Empty the index and the text store (start of a rebuild)."""
        if self._writer is not None:
            self.cancel()
        self._store.close()
        for entry in self.index_dir.iterdir():
            if entry.name != LOCK_NAME:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        self._create()
        self._ix = index.open_dir(str(self.index_dir))
        self._store = TextAppender(self.index_dir)

    def _open(self) -> Any:
        if self._writer is None:
            writer = self._ix.writer(limitmb=self.limitmb, codec=_Codec())
            writer.pool = _ListPool()
            self._writer = writer
        return self._writer

    def put(self, doc: IndexDoc) -> None:
        """Add or replace the document of file `doc.fid` (visible after commit)."""
        offset, length = self._store.append(doc.text)
        writer = self._open()
        docnum = writer.docnum  # the number update_document gives the new document
        writer.update_document(fid=str(doc.fid), meta=_pack(doc, offset, length))
        writer.pool.add_document_terms("grams", docnum, doc.grams)
        writer.pool.add_document_terms("names", docnum, doc.name_grams)

    def delete(self, fid: int) -> None:
        """Remove the document of file `fid` (visible after commit)."""
        self._open().delete_by_term("fid", str(fid))

    def commit(self) -> None:
        """Make the pending changes searchable: text first, then the index."""
        if self._writer is None:
            return
        self._store.sync()
        writer, self._writer = self._writer, None
        writer.commit(mergetype=_merge_tiered)

    def cancel(self) -> None:
        """Drop the pending changes. Never followed by a commit of the same writer."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.cancel()

    def optimize(self) -> None:
        """Merge all segments into one (slow on big indexes: run it off the request path)."""
        self.commit()
        self._ix.optimize()

    def close(self) -> None:
        """Cancel anything uncommitted and release the lock."""
        if getattr(self, "_writer", None) is not None:
            self.cancel()
        if getattr(self, "_store", None) is not None:
            self._store.close()
        if getattr(self, "_ix", None) is not None:
            self._ix.close()
        self._lock.release()

    @property
    def text_store_bytes(self) -> int:
        return self._store.size


# ---------------------------------------------------------------------------------------------- reading


class Segment:
    """One index segment as queries see it: posting sets, live documents and cached metadata."""

    def __init__(self, reader: Any, metas: list[DocMeta]) -> None:
        self._reader = reader
        self.metas = metas
        deleted = reader.deleted_docs_set if reader.has_deletions() else set()
        self.deleted: set[int] = set(deleted)
        self.live: set[int] = set(range(len(metas))) - self.deleted
        # Plain lists: the query loops index them per candidate.
        self.starts = [m.offset for m in metas]
        self.ends = [m.offset + m.length for m in metas]
        self._allowed: dict[Any, set[int]] = {}

    def allowed(self, key: Any, rule: Callable[[DocMeta], bool]) -> set[int]:
        """Return the live documents `rule` admits, cached per segment and `key` (a user's scope)."""
        found = self._allowed.get(key)
        if found is None:
            if len(self._allowed) > 64:
                self._allowed.clear()
            found = self._allowed[key] = {d for d in self.live if rule(self.metas[d])}
        return found

    def doc_frequency(self, field: str, gram: str) -> int:
        """Return how many documents (including deleted ones) hold `gram`."""
        return self._reader.doc_frequency(field, gram)

    def docs(self, field: str, gram: str) -> set[int]:
        """Return the live documents holding `gram` in `field`."""
        try:
            matcher = self._reader._terms.matcher(field, gram.encode("utf-8"), formats.Existence())
        except TermNotFound:
            return set()
        ids = _posting_ids(matcher)
        return ids - self.deleted if self.deleted else ids


def _posting_ids(matcher: Any) -> set[int]:
    # Whole blocks at a time: the matcher's per-posting interface costs a Python call per document.
    if not isinstance(matcher, W3LeafMatcher):
        return set(matcher.all_ids())
    ids: set[int] = set()
    while True:
        if matcher._data is None:
            matcher._read_data()
        raw = matcher._data[0]
        ids.update(raw if matcher._byteids else accumulate(raw))
        if matcher._lastblock:
            return ids
        matcher._goto(matcher._nextoffset)


RACE_RETRIES = 5  # attempts to open the latest generation while the writer commits


class IndexView:
    """A process-wide read-only view of the index; `snapshot()` refreshes it when the writer committed."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.lock = threading.Lock()  # Whoosh's file objects are not thread-safe: one query at a time
        self._ix: Any = None
        self._reader: Any = None
        self._generation: tuple[int, int] = (-2, -2)
        self._cache: dict[str, list[DocMeta]] = {}
        self.segments: list[Segment] = []
        self.average_length = 1.0
        self.texts = TextReader(index_dir)

    def refresh(self) -> bool:
        """Reopen the index if it changed; return False when there is no index yet. Call under `lock`.

        The single writer may commit (and remove the previous generation's files) between finding the
        latest generation and opening it: the view then looks again (a few times, 50 ms apart).
        """
        for attempt in range(RACE_RETRIES):
            try:
                return self._refresh()
            except FileNotFoundError:
                if attempt == RACE_RETRIES - 1:
                    raise
                self._close()
                time.sleep(0.05)
        return False

    def _refresh(self) -> bool:
        if not index_exists(self.index_dir):
            self._close()
            return False
        # A rebuild restarts generation numbers but always creates a new text store: compare both.
        try:
            store_ino = (self.index_dir / STORE_NAME).stat().st_ino
        except FileNotFoundError:
            store_ino = -1
        latest = (index.TOC._latest_generation(FileStorage(str(self.index_dir)), index._DEF_INDEX_NAME), store_ino)
        if latest == self._generation and self._ix is not None:
            return True
        self._close()
        self._ix = index.open_dir(str(self.index_dir))
        self._reader = self._ix.reader()
        self._generation = (self._reader.generation(), store_ino)
        cache: dict[str, list[DocMeta]] = {}
        segments = []
        needed = 0
        for leaf, _base in self._reader.leaf_readers():
            if leaf.segment() is None:  # an index without documents
                continue
            key = leaf.segment().segment_id()
            metas = self._cache.get(key)
            if metas is None:
                metas = [_unpack(raw) for raw in leaf.column_reader("meta", translate=False)]
            cache[key] = metas
            segments.append(Segment(leaf, metas))
            if metas:
                needed = max(needed, max(m.offset + m.length for m in metas))
        self._cache = cache
        self.segments = segments
        self.texts.ensure(needed)
        lengths = [s.ends[d] - s.starts[d] for s in segments for d in s.live]
        self.average_length = max(1.0, sum(lengths) / len(lengths)) if lengths else 1.0
        return True

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._ix is not None:
            self._ix.close()
        self._reader = self._ix = None
        self.segments = []
        self._generation = (-2, -2)

    def doc_count(self) -> int:
        """Return the number of live documents (call after refresh, under `lock`)."""
        return sum(len(s.live) for s in self.segments)

    def all_docs(self) -> Iterator[DocMeta]:
        """Yield the metadata of every live document (call after refresh, under `lock`)."""
        for seg in self.segments:
            for docnum in sorted(seg.live):
                yield seg.metas[docnum]

    def segment_count(self) -> int:
        return len(self.segments)


_views: dict[Path, IndexView] = {}
_views_lock = threading.Lock()


def view(index_dir: Path) -> IndexView:
    """Return this process's shared view of the index in `index_dir`."""
    with _views_lock:
        v = _views.get(index_dir)
        if v is None:
            v = _views[index_dir] = IndexView(index_dir)
        return v


def index_size_bytes(index_dir: Path) -> int:
    """Return the bytes used by the index and the text store."""
    if not index_dir.is_dir():
        return 0
    return sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file())
