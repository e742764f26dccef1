"""C2PA manifests for image exports, signed offline with c2pa-python (docs/provenance.md).

Signing is on when settings.C2PA_SIGN_CERT (the signer's certificate followed by its chain, PEM) and
settings.C2PA_SIGN_KEY (its private key, PEM) are both set; otherwise exports are unsigned and their
provenance says so. The manifest of an export holds

- the original scan as a `parentOf` ingredient (c2pa hashes its bytes and keeps a thumbnail),
- a c2pa.actions assertion: `c2pa.opened` on that ingredient, then `c2pa.color_adjustments` with the IPTC
  digital source type compositeWithTrainedAlgorithmicMedia and the model as the software agent,
- org.findcolor.provenance: the version, model, hashes and review state (the JSON sidecar has everything).

The export's own XMP, ICC profile and pixels are kept: c2pa adds its JUMBF box (JPEG APP11, PNG caBX chunk,
TIFF tag 0xcd41) and binds the file's bytes with a hash.
"""

import functools
import logging
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext as _

from config.api import ServiceError

log = logging.getLogger(__name__)

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
ORIGINAL_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff"}
PROVENANCE_LABEL = "org.findcolor.provenance"


def configured() -> bool:
    return bool(settings.C2PA_SIGN_CERT and settings.C2PA_SIGN_KEY)


def _credentials() -> tuple[bytes, bytes]:
    return Path(settings.C2PA_SIGN_CERT).read_bytes(), Path(settings.C2PA_SIGN_KEY).read_bytes()


@functools.lru_cache(maxsize=4)
def _summary(cert_pem: bytes) -> dict:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    cert = x509.load_pem_x509_certificate(cert_pem)

    def name(n):
        values = n.get_attributes_for_oid(NameOID.COMMON_NAME) or n.get_attributes_for_oid(
            NameOID.ORGANIZATION_NAME
        )
        return values[0].value if values else n.rfc4514_string()

    return {
        "signer": name(cert.subject),
        "issuer": name(cert.issuer),
        "certificate_sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "alg": settings.C2PA_SIGN_ALG,
    }


def signer_summary() -> dict:
    """Who signs (the certificate's subject and issuer) and how, for the provenance record."""
    try:
        cert_pem, _key = _credentials()
        return dict(_summary(cert_pem))
    except (OSError, ValueError) as exc:
        log.error("C2PA signing certificate unreadable: %s", exc)
        raise ServiceError(
            "signing_unavailable", _("the export signing certificate cannot be read"), status_code=503
        ) from None


def _signer():
    import c2pa

    cert_pem, key_pem = _credentials()
    info = c2pa.C2paSignerInfo(settings.C2PA_SIGN_ALG, cert_pem, key_pem, None)
    return c2pa.Signer.from_info(info)


def _repair_actions(prov: dict) -> list[dict]:
    """The repair step before colour, when there was one (docs/repair.md): its model and share of pixels."""
    repair = prov.get("repair") or {}
    if not repair.get("applied"):
        return []
    return [
        {
            "action": "c2pa.edited",
            "digitalSourceType": DIGITAL_SOURCE_TYPE,
            "softwareAgent": {"name": repair["model"]["name"], "version": repair["model"]["version"]},
            "description": (
                f"damage repair before colorization: {repair['share'] * 100:.2f}% of the pixels "
                "(scratches, dust, stains) were inpainted by a model; they are invented, not original detail"
            ),
        }
    ]


def manifest_definition(name: str, mime: str, version, prov: dict) -> dict:
    model, review, source = prov["model"], prov["review"], prov["source"]
    return {
        "claim_generator_info": [{"name": "Find Color", "version": "1"}],
        "title": name,
        "format": mime,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {"action": "c2pa.opened", "parameters": {"ingredientIds": ["original"]}},
                        *_repair_actions(prov),
                        {
                            "action": "c2pa.color_adjustments",
                            "digitalSourceType": DIGITAL_SOURCE_TYPE,
                            "softwareAgent": {"name": model["name"], "version": model["version"]},
                            "description": (
                                "colours added by a trained model to a black-and-white photograph "
                                f"(Find Color version {version.number})"
                            ),
                        },
                    ]
                },
            },
            {
                "label": PROVENANCE_LABEL,
                "data": {
                    "ai_generated": True,
                    "version": {"id": version.pk, "number": version.number},
                    "model": model,
                    "result_sha256": version.result_sha256,
                    "source": {"identifier": source["identifier"], "sha256": source["sha256"]},
                    "review_state": review["state"],
                    "approved_by": review["approved_by"],
                    "hint_count": prov["hints"]["count"],
                    "verified_hint_count": prov["hints"]["verified_count"],
                    "repair": prov.get("repair", {"applied": False}),
                    "adaptation": prov.get("adaptation", {"used": False}),
                },
            },
        ],
    }


def sign(content: bytes, mime: str, name: str, version, prov: dict) -> bytes:
    """The export's bytes with an embedded, signed C2PA manifest."""
    import io

    import c2pa

    photo = version.photo
    try:
        signer = _signer()
        with signer, c2pa.Builder(manifest_definition(name, mime, version, prov)) as builder:
            ingredient = {
                "title": photo.original_name or f"photo-{photo.pk}{photo.extension}",
                "relationship": "parentOf",
                "instance_id": "original",
            }
            with photo.original.open("rb") as original:
                builder.add_ingredient(ingredient, ORIGINAL_MIME.get(photo.format, "image/jpeg"), original)
            out = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(content), out)
            return out.getvalue()
    except (OSError, c2pa.C2paError) as exc:
        log.error("C2PA signing of %s failed: %s", name, exc)
        raise ServiceError("signing_failed", _("the export could not be signed"), status_code=503) from None


@checks.register(checks.Tags.security)
def check_signing_configuration(app_configs=None, **kwargs):
    """Startup check: both C2PA settings or neither, and a certificate + key that make a signer."""
    cert, key = settings.C2PA_SIGN_CERT, settings.C2PA_SIGN_KEY
    if not cert and not key:
        return []
    if not (cert and key):
        return [
            checks.Error(
                "set both C2PA_SIGN_CERT and C2PA_SIGN_KEY (or neither: exports are then unsigned)",
                id="findcolor.E101",
            )
        ]
    try:
        signer = _signer()
        signer.close()
    except Exception as exc:  # noqa: BLE001 (any reason the library refuses the credentials)
        return [checks.Error(f"C2PA signing credentials unusable: {exc}", id="findcolor.E102")]
    return []
