"""C2PA: exports signed with a test chain made here (test CA → signer), downloaded and read back with c2pa."""

import datetime
import io
import json

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core import checks
from PIL import Image

from colorize.services import review as review_services
from tests.test_run_support import add_hint, make_photo, run_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_colorizer")]

COMPOSITE_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
MIMES = {"jpeg": "image/jpeg", "png": "image/png", "tiff": "image/tiff"}


def _name(common_name):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Find Color tests"),
        ]
    )


def _key_usage(*, sign_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certs,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certs,
        crl_sign=sign_certs,
        encipher_only=False,
        decipher_only=False,
    )


def make_test_chain(folder) -> tuple[str, str]:
    """A two-level chain (test CA → ES256 signer); returns the paths of the PEM chain and the signer's key."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Find Color test CA"))
        .issuer_name(_name("Find Color test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign_certs=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Find Color test signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign_certs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = folder / "signer-chain.pem"
    chain.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    )
    key_path = folder / "signer-key.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(chain), str(key_path)


@pytest.fixture
def signing_chain(settings, tmp_path):
    settings.C2PA_SIGN_CERT, settings.C2PA_SIGN_KEY = make_test_chain(tmp_path)
    settings.C2PA_SIGN_ALG = "es256"


@pytest.fixture
def approved(people):
    photo = make_photo(people.collection, people.curator, title="Station", identifier="NA-1950-0042")
    add_hint(photo, people.curator, 0.5, 0.5, "#6080c0", verified_by=people.reviewer, evidence_note="coat")
    version = run_now(people.curator, photo).version
    review_services.do_submit(people.curator, version)
    review_services.do_approve(people.reviewer, version, {"comment": "matches the uniform plate"})
    return version


def _read(content: bytes, mime: str) -> c2pa.Reader:
    return c2pa.Reader(mime, io.BytesIO(content))


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff"])
def test_a_viewer_downloads_a_signed_export_whose_manifest_validates(
    people, approved, client_for, signing_chain, fmt
):
    response = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format={fmt}")
    assert response.status_code == 200, response.content
    with _read(response.content, MIMES[fmt]) as reader:
        results = reader.get_validation_results()["activeManifest"]
        # The test CA is in no trust list: that, and only that, may fail.
        assert [f["code"] for f in results.get("failure", [])] == ["signingCredential.untrusted"]
        assert "claimSignature.validated" in {s["code"] for s in results["success"]}
        assert "assertion.dataHash.match" in {s["code"] for s in results["success"]}
        manifest = reader.get_active_manifest()
    assert manifest["signature_info"]["common_name"] == "Find Color test signer"
    (parent,) = manifest["ingredients"]
    assert parent["relationship"] == "parentOf" and parent["format"] == "image/png"
    assert parent["title"] == approved.photo.original_name
    assertions = {a["label"]: a["data"] for a in manifest["assertions"]}
    actions = assertions["c2pa.actions.v2"]["actions"]
    assert actions[0]["action"] == "c2pa.opened"
    ai = [a for a in actions if a.get("digitalSourceType") == COMPOSITE_AI]
    assert ai and ai[0]["softwareAgent"]["name"] == approved.model_name
    ours = assertions["org.findcolor.provenance"]
    assert ours["source"]["sha256"] == approved.photo.sha256 and ours["approved_by"] == "reviewer"

    # The export's own XMP and ICC profile are still there.
    image = Image.open(io.BytesIO(response.content))
    xmp = image.getxmp()["xmpmeta"]["RDF"]["Description"]
    assert xmp["SourceSHA256"] == approved.photo.sha256 and xmp["DigitalSourceType"] == COMPOSITE_AI
    assert image.info.get("icc_profile")


def test_a_signed_export_whose_bytes_were_changed_fails_validation(
    people, approved, client_for, signing_chain
):
    content = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format=png").content
    tampered = bytearray(content)
    tampered[content.index(b"IDAT") + 20] ^= 0xFF  # one byte of the pixel data
    with _read(bytes(tampered), "image/png") as reader:
        failures = {f["code"] for f in reader.get_validation_results()["activeManifest"].get("failure", [])}
    assert failures - {"signingCredential.untrusted"}, failures


def test_the_sidecar_says_who_signs_and_that_images_are_signed(people, approved, client_for, signing_chain):
    prov = client_for(people.viewer).get(f"/api/versions/{approved.pk}/sidecar/").json()
    assert prov["export"]["c2pa"]["embedded"] is False and "signed" in prov["export"]["c2pa"]["reason"]
    response = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format=json")
    assert json.loads(response.content)["export"]["c2pa"]["embedded"] is False


def test_without_a_certificate_exports_are_unsigned_and_say_why(people, approved, client_for, settings):
    settings.C2PA_SIGN_CERT = settings.C2PA_SIGN_KEY = ""
    content = client_for(people.viewer).get(f"/api/versions/{approved.pk}/export/?format=jpeg").content
    with pytest.raises(c2pa.C2paError):
        _read(content, "image/jpeg")
    prov = client_for(people.viewer).get(f"/api/versions/{approved.pk}/sidecar/").json()
    assert prov["export"]["c2pa"] == {
        "embedded": False,
        "reason": "no C2PA signing certificate is configured",
    }


def test_a_half_or_broken_signing_configuration_is_a_startup_error(settings, tmp_path):
    from colorize.services.signing import check_signing_configuration

    settings.C2PA_SIGN_CERT, settings.C2PA_SIGN_KEY = make_test_chain(tmp_path)
    assert check_signing_configuration() == []
    settings.C2PA_SIGN_KEY = ""
    assert [e.id for e in check_signing_configuration()] == ["findcolor.E101"]
    broken = tmp_path / "broken.pem"
    broken.write_text("not a key")
    settings.C2PA_SIGN_KEY = str(broken)
    errors = check_signing_configuration()
    assert [e.id for e in errors] == ["findcolor.E102"] and errors[0].level == checks.ERROR
