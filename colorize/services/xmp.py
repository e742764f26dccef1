"""The XMP packet of an export (colorize/services/export.py embeds it: JPEG APP1, PNG iTXt
"XML:com.adobe.xmp", TIFF tag 700), written from the provenance (colorize/services/provenance.py). It carries

- Iptc4xmpExt:DigitalSourceType = compositeWithTrainedAlgorithmicMedia (IPTC's term for a photograph altered
  by a trained model),
- dc:description, a plain-language account, and the original's Dublin Core fields, per language,
- xmpMM:DerivedFrom (the original by SHA-256) and fc:* fields (https://findcolor.org/ns/provenance/1.0/) for
  machines.

Dates: dc:date and photoshop:DateCreated hold ISO 8601 dates (YYYY, YYYY-MM or YYYY-MM-DD, from date_from /
date_to); the free-text display form ("1950년 12월", "c. 1950") is fc:DateDisplay.
"""

import xml.etree.ElementTree as ET

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from archive import languages
from colorize.services.provenance import FC_NS, caption

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stRef": "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "fc": FC_NS,
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _lang_alt(parent, prefix, name, text, alternatives: dict | None = None):
    """An rdf:Alt: `text` as x-default, then one entry per known language (`und` and `` are left out)."""
    el = ET.SubElement(parent, _q(prefix, name))
    alt = ET.SubElement(el, _q("rdf", "Alt"))
    for lang, value in [("x-default", text), *(alternatives or {}).items()]:
        if not value or not lang or lang == languages.UNDETERMINED:
            continue
        li = ET.SubElement(alt, _q("rdf", "li"))
        li.set(XML_LANG, lang)
        li.text = value


def _title_alternatives(title: str, lang: str, number: int) -> tuple[str, dict]:
    """dc:title: x-default is the title with an English "(AI-colorized, version N)"; the title's own language
    gets the suffix in that language when the platform has it translated, else the bare title."""
    suffix = gettext_noop("(AI-colorized, version {number})")
    default = f"{title} {suffix.format(number=number)}"
    if not lang or lang == languages.UNDETERMINED:
        return default, {}
    with translation.override(lang):
        translated = gettext(suffix)
    if lang == "en" or translated != suffix:
        return default, {lang: f"{title} {translated.format(number=number)}"}
    return default, {lang: title}


def _description_alternatives(prov: dict) -> dict:
    """dc:description per language: the caption in its own language, the (English) account in English."""
    dc, acc = prov["source"]["dublin_core"], prov["account"]
    text = caption(dc["description"])
    lang = dc["description_lang"]
    out: dict[str, str] = {}
    if text and lang and lang != languages.UNDETERMINED:
        out[lang] = text
    out[acc["language"]] = (
        f"{out[acc['language']]}\n\n{acc['text']}" if acc["language"] in out else acc["text"]
    )
    return out


def _container(parent, prefix, name, kind, items):
    el = ET.SubElement(parent, _q(prefix, name))
    box = ET.SubElement(el, _q("rdf", kind))
    for item in items:
        li = ET.SubElement(box, _q("rdf", "li"))
        li.text = str(item)


def _text(parent, prefix, name, value):
    el = ET.SubElement(parent, _q(prefix, name))
    el.text = "" if value is None else str(value)


def _evidence(parent, items: list[dict]) -> None:
    """fc:HintEvidence: an rdf:Seq of structures, one per verified hint (colour, place, verifier, note in its
    language, source, URL)."""
    el = ET.SubElement(parent, _q("fc", "HintEvidence"))
    seq = ET.SubElement(el, _q("rdf", "Seq"))
    for item in items:
        li = ET.SubElement(seq, _q("rdf", "li"))
        li.set(_q("rdf", "parseType"), "Resource")
        _text(li, "fc", "Hint", item["hint"])
        _text(li, "fc", "Color", item["color"])
        _text(li, "fc", "X", f"{item['x']:.4f}")
        _text(li, "fc", "Y", f"{item['y']:.4f}")
        _text(li, "fc", "VerifiedBy", item["verified_by"] or "")
        _text(li, "fc", "VerifiedAt", item["verified_at"] or "")
        if item["note"]:
            _lang_alt(li, "fc", "Note", item["note"], {item["note_lang"]: item["note"]})
        if item["source"]:
            _text(li, "fc", "Source", item["source"])
        if item["url"]:
            _text(li, "fc", "URL", item["url"])


def _repair_fields(repair: dict) -> dict:
    """The fc: fields that name the repair step before colour (docs/repair.md): invented pixels, never original."""
    fields = {"RepairApplied": "True" if repair["applied"] else "False"}
    if repair["applied"]:
        fields.update(
            {
                "RepairStep": repair["step"],
                "RepairModelName": repair["model"]["name"],
                "RepairModelVersion": repair["model"]["version"],
                "RepairModelChecksum": repair["model"]["checksum"],
                "RepairedPixels": repair["pixels"],
                "RepairedPixelShare": f"{repair['share']:.6f}",
                "RepairMaskSHA256": repair["mask_sha256"],
            }
        )
    return fields


def _adaptation_fields(adaptation: dict) -> dict:
    """The fc: fields that name the adaptation that guided the colours (docs/adaptation.md), or that none did."""
    fields = {"AdaptationUsed": "True" if adaptation["used"] else "False"}
    if adaptation["used"]:
        fields.update(
            {
                "AdaptationChecksum": adaptation["checksum"],
                "AdaptationScope": adaptation["scope"],
                "AdaptationVariant": adaptation.get("variant") or "profile",
                "AdaptationReferences": adaptation["n_references"],
                "AdaptationVerifiedColours": adaptation["n_verified_colours"],
                "AdaptationHeldOut": adaptation.get("n_heldout") or 0,
                "AdaptationHeldOutDeltaDB": (
                    f"{adaptation['delta_db']:+.3f}"
                    if isinstance(adaptation.get("delta_db"), (int, float))
                    else ""
                ),
            }
        )
    return fields


def xmp_packet(prov: dict, mime: str, max_listed_hints: int | None = None) -> bytes:
    """An XMP packet (UTF-8 bytes) for the provenance dict. `max_listed_hints` caps the fc:VerifiedHints list
    (JPEG's APP1 segment holds at most 64 KB; the JSON sidecar always has every hint)."""
    meta = ET.Element(_q("x", "xmpmeta"))
    rdf = ET.SubElement(meta, _q("rdf", "RDF"))
    desc = ET.SubElement(rdf, _q("rdf", "Description"))
    desc.set(_q("rdf", "about"), "")
    dc = prov["source"]["dublin_core"]
    model, hints, review, version = prov["model"], prov["hints"], prov["review"], prov["version"]

    _text(desc, "Iptc4xmpExt", "DigitalSourceType", prov["digital_source_type"])
    _text(desc, "dc", "format", mime)
    if dc["title"]:
        _lang_alt(desc, "dc", "title", *_title_alternatives(dc["title"], dc["title_lang"], version["number"]))
    else:
        _lang_alt(
            desc,
            "dc",
            "title",
            *_title_alternatives(f"Photo {prov['source']['photo']}", "en", version["number"]),
        )
    _lang_alt(desc, "dc", "description", prov["description"], _description_alternatives(prov))
    if dc["creator"]:
        _container(desc, "dc", "creator", "Seq", [dc["creator"]])
    if dc["date_iso"]:
        _container(desc, "dc", "date", "Seq", dc["date_iso"])
        _text(desc, "photoshop", "DateCreated", dc["date_iso"][0])
    if dc["rights"]:
        _lang_alt(desc, "dc", "rights", dc["rights"], {languages.detect(dc["rights"]): dc["rights"]})
    for key in ("source", "identifier", "coverage"):
        if dc[key]:
            _text(desc, "dc", key, dc[key])
    if dc["subject"]:
        _container(desc, "dc", "subject", "Bag", dc["subject"])
    _text(desc, "xmp", "CreatorTool", f"Find Color ({model['name']} {model['version']})")
    _text(desc, "xmp", "CreateDate", version["created_at"])
    derived = ET.SubElement(desc, _q("xmpMM", "DerivedFrom"))
    derived.set(_q("rdf", "parseType"), "Resource")
    _text(derived, "stRef", "documentID", f"sha256:{prov['source']['sha256']}")
    _text(derived, "stRef", "filePath", prov["source"]["identifier"])

    fc = {
        "AIGenerated": "True",
        "ModelName": model["name"],
        "ModelVersion": model["version"],
        "ModelChecksum": model["checksum"],
        "VersionNumber": version["number"],
        "ResultSHA256": version["result_sha256"],
        "HintCount": hints["count"],
        "VerifiedHintCount": hints["verified_count"],
        "SourceIdentifier": prov["source"]["identifier"],
        "SourceSHA256": prov["source"]["sha256"],
        "ReviewState": review["state"],
        "Approved": "True" if review["approved"] else "False",
        "ApprovedBy": review["approved_by"] or "",
        "ApprovedAt": review["approved_at"] or "",
        "Published": "True" if review["published"] else "False",
        "Draft": "True" if prov["export"]["draft"] else "False",
        "PublishedVersion": review["published_version"] or "",
        "RenderedBy": version["rendered_by"] or "",
        "RenderedAt": version["created_at"],
        "DateDisplay": dc["date"],
        "Era": version["context"].get("era") or "",
        "Situation": version["context"].get("situation") or "",
    }
    fc.update(_adaptation_fields(prov.get("adaptation") or {"used": False}))
    fc.update(_repair_fields(prov["repair"]))
    for name, value in fc.items():
        _text(desc, "fc", name, value)
    if review["approval_comment"]:
        comment = review["approval_comment"]
        _lang_alt(desc, "fc", "ApprovalComment", comment, {languages.detect(comment): comment})
    approvals = [d for d in review["decisions"] if d["decision"] == "approved"]
    if approvals and approvals[-1]["replaced_version"]:
        _text(desc, "fc", "ReplacedVersion", approvals[-1]["replaced_version"])
        _text(desc, "fc", "ReplaceReason", approvals[-1]["replace_reason"])
    _container(desc, "fc", "VerifiedBy", "Bag", hints["verified_by"])
    verified = [h for h in hints["items"] if h.get("status") == "verified"]
    evidence = hints["verified"]
    if max_listed_hints is not None and len(verified) > max_listed_hints:
        _text(desc, "fc", "VerifiedHintsNotListed", len(verified) - max_listed_hints)
        verified, evidence = verified[:max_listed_hints], evidence[:max_listed_hints]
    _evidence(desc, evidence)
    _container(
        desc,
        "fc",
        "VerifiedHints",
        "Bag",
        [
            f"{h['color']} at ({h['x']:.4f}, {h['y']:.4f}) verified by {h.get('verified_by')}"
            for h in verified
        ],
    )
    body = ET.tostring(meta, encoding="unicode")
    packet = f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{body}\n<?xpacket end="w"?>'
    return packet.encode("utf-8")
