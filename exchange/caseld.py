"""``data/case.jsonld``: the bundle's evidence as a CASE/UCO 1.x graph (checked against CASE 1.5).

Per item: a ``uco-observable:File`` with a ``FileFacet`` (name inside the bundle, size) and a
``ContentDataFacet`` (size, SHA256, SHA1 and MD5 hashes). Per exhibit: a
``case-investigation:ProvenanceRecord`` naming its files. Per custody event: a
``case-investigation:InvestigativeAction`` (name = the custody kind, performer = a
``uco-identity:Identity``, startTime, the file as object); the transfer itself is one more action
performed by the sending officer. IRIs are ``kb:<Type>-<uuid5(bundle id, local id)>``, so the
same bundle always yields the same graph. ``case_validate`` (case-utils) passes on it; CI proves it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

CONTEXT = {
    "kb": "http://example.org/kb/",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-analysis": "https://ontology.unifiedcyberontology.org/uco/analysis/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


@dataclass(frozen=True)
class FileEntry:
    key: str  # local id (item id)
    path: str  # path inside the bag, data/evidence/...
    size: int
    sha256: str
    sha1: str | None  # None (or ""): not computed, the case shares no hash sets
    md5: str | None
    exhibit: str | None
    description: str | None


@dataclass(frozen=True)
class Action:
    file_key: str | None  # None: the action concerns every file
    name: str
    performer: str
    at: str
    description: str


@dataclass(frozen=True)
class Search:
    """One recorded 1:N face search over exported files (an investigative analysis)."""

    key: str
    performer: str
    at: str
    description: str
    file_keys: list[str]


@dataclass(frozen=True)
class Review:
    key: str
    decision: str  # confirmed | rejected | inconclusive
    performer: str
    at: str
    reason: str


@dataclass(frozen=True)
class Match:
    """A candidate the search proposed for a face in a file, with its human reviews."""

    key: str
    search_key: str
    file_key: str
    statement: str  # subject, watchlist, rank, distance, threshold, label
    reviews: list[Review]


class Graph:
    def __init__(self, bundle_id: str) -> None:
        self._ns = uuid.UUID(bundle_id)
        self._nodes: list[dict[str, Any]] = []
        self._people: dict[str, str] = {}
        self._files: dict[str, str] = {}

    def iri(self, kind: str, local: str) -> str:
        return f"kb:{kind}-{uuid.uuid5(self._ns, f'{kind}/{local}')}"

    def _performer(self, name: str) -> str:
        if name not in self._people:
            iri = self.iri("Identity", name)
            self._people[name] = iri
            node = {"@id": iri, "@type": "uco-identity:Identity", "uco-core:name": name}
            self._nodes.append(node)
        return self._people[name]

    def add_file(self, f: FileEntry) -> None:
        iri = self.iri("File", f.key)
        self._files[f.key] = iri
        size = {"@type": "xsd:integer", "@value": str(f.size)}
        hashes = [
            {
                "@id": self.iri("Hash", f"{f.key}/{method}"),
                "@type": "uco-types:Hash",
                "uco-types:hashMethod": method,
                "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value.upper()},
            }
            for method, value in (("SHA256", f.sha256), ("SHA1", f.sha1), ("MD5", f.md5))
            if value
        ]
        node: dict[str, Any] = {
            "@id": iri,
            "@type": "uco-observable:File",
            "uco-core:hasFacet": [
                {
                    "@id": self.iri("FileFacet", f.key),
                    "@type": "uco-observable:FileFacet",
                    "uco-observable:fileName": f.path.rsplit("/", 1)[-1],
                    "uco-observable:filePath": f.path,
                    "uco-observable:sizeInBytes": size,
                },
                {
                    "@id": self.iri("ContentDataFacet", f.key),
                    "@type": "uco-observable:ContentDataFacet",
                    "uco-observable:sizeInBytes": size,
                    "uco-observable:hash": hashes,
                },
            ],
        }
        if f.description:
            node["uco-core:description"] = f.description
        self._nodes.append(node)

    def add_provenance(self, exhibit: str, file_keys: list[str]) -> None:
        self._nodes.append(
            {
                "@id": self.iri("ProvenanceRecord", exhibit),
                "@type": "case-investigation:ProvenanceRecord",
                "case-investigation:exhibitNumber": exhibit,
                "uco-core:object": [{"@id": self._files[k]} for k in file_keys],
            }
        )

    def add_action(self, n: int, a: Action) -> None:
        objects = [self._files[a.file_key]] if a.file_key else list(self._files.values())
        self._nodes.append(
            {
                "@id": self.iri("InvestigativeAction", str(n)),
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": a.name,
                "uco-core:description": a.description,
                "uco-action:performer": {"@id": self._performer(a.performer)},
                "uco-action:startTime": {"@type": "xsd:dateTime", "@value": a.at},
                "uco-action:object": [{"@id": o} for o in objects],
            }
        )

    def add_search(self, x: Search) -> None:
        """A search is both a CASE investigative action and a UCO analysis (its results' origin)."""
        self._nodes.append(
            {
                "@id": self.iri("Search", x.key),
                "@type": ["case-investigation:InvestigativeAction", "uco-analysis:Analysis"],
                "uco-core:name": "face search",
                "uco-core:description": x.description,
                "uco-action:performer": {"@id": self._performer(x.performer)},
                "uco-action:startTime": {"@type": "xsd:dateTime", "@value": x.at},
                "uco-action:object": [{"@id": self._files[k]} for k in x.file_keys],
            }
        )

    def add_match(self, m: Match) -> None:
        result = self.iri("AnalyticResult", m.key)
        self._nodes.append(
            {
                "@id": result,
                "@type": "uco-analysis:AnalyticResult",
                "uco-core:name": "face search candidate",
                "uco-core:statement": m.statement,
                "uco-analysis:originatingAnalysis": {"@id": self.iri("Search", m.search_key)},
                "uco-analysis:resultContent": [{"@id": self._files[m.file_key]}],
            }
        )
        for r in m.reviews:
            self._nodes.append(
                {
                    "@id": self.iri("Review", r.key),
                    "@type": "case-investigation:InvestigativeAction",
                    "uco-core:name": f"review: {r.decision}",
                    "uco-core:description": r.reason,
                    "uco-action:performer": {"@id": self._performer(r.performer)},
                    "uco-action:startTime": {"@type": "xsd:dateTime", "@value": r.at},
                    "uco-action:object": [{"@id": result}],
                }
            )

    def to_bytes(self) -> bytes:
        doc = {"@context": CONTEXT, "@graph": self._nodes}
        return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def build(
    bundle_id: str,
    files: list[FileEntry],
    actions: list[Action],
    searches: list[Search] | None = None,
    matches: list[Match] | None = None,
) -> bytes:
    g = Graph(bundle_id)
    exhibits: dict[str, list[str]] = {}
    for f in files:
        g.add_file(f)
        exhibits.setdefault(f.exhibit or f"item {f.key}", []).append(f.key)
    for exhibit, keys in exhibits.items():
        g.add_provenance(exhibit, keys)
    for n, a in enumerate(actions):
        g.add_action(n, a)
    for x in searches or []:
        g.add_search(x)
    for m in matches or []:
        g.add_match(m)
    return g.to_bytes()
