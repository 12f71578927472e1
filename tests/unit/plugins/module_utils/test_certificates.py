# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.core import certificates


def test_ca_bundles_are_checked_and_described(make_certificate):
    pem = make_certificate()
    certs, warnings = certificates.check_ca_bundle(pem, "trusted_cas[0]")
    assert certs[0]["subject"] == "CN=unit-ca" and certs[0]["is_ca"] and certs[0]["days_left"] >= 364
    assert len(certs[0]["fingerprint_sha256"]) == 95 and warnings == []
    _soon, warnings = certificates.check_ca_bundle(make_certificate(days=10), "trusted_cas[1]")
    assert "expires in" in warnings[0] and "trusted_cas[1]" in warnings[0]
    with pytest.raises(certificates.CertificateError, match="expired on"):
        certificates.check_ca_bundle(make_certificate(days=-1), "x")
    with pytest.raises(certificates.CertificateError, match="not a CA"):
        certificates.check_ca_bundle(make_certificate(ca=False), "x")
    two, _warnings = certificates.check_ca_bundle(pem + make_certificate(name="second"), "bundle")
    assert [c["subject"] for c in two] == ["CN=unit-ca", "CN=second"]


@pytest.mark.parametrize("text, words", [
    ("just text", "holds no certificate block"),
    ("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "not valid base64"),
    ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", "not a DER certificate"),
])
def test_what_is_not_a_certificate_is_named(text, words, monkeypatch):
    for has in (True, False):
        monkeypatch.setattr(certificates, "HAS_CRYPTOGRAPHY", has)
        with pytest.raises(certificates.CertificateError, match=words):
            certificates.read_bundle(text, "ca", need_cryptography=False)


def test_same_certificates_whatever_the_bytes(make_certificate):
    pem = make_certificate()
    for rewritten in (pem.replace("\n", "\r\n"), "\n\n" + pem + "\n", "# the lab CA\n" + pem.rstrip("\n")):
        assert certificates.same_certificates(pem, rewritten)
    assert not certificates.same_certificates(pem, make_certificate())
    assert not certificates.same_certificates(pem, pem + make_certificate(name="second"))
    assert not certificates.same_certificates("not a certificate", "not a certificate")


def test_a_host_without_cryptography_still_reads_fingerprints(make_certificate, monkeypatch):
    pem = make_certificate(days=10)
    full = certificates.read_bundle(pem, "ca")
    monkeypatch.setattr(certificates, "HAS_CRYPTOGRAPHY", False)
    with pytest.raises(certificates.CertificateError, match="cryptography Python package is needed"):
        certificates.read_bundle(pem, "ca")
    plain, warnings = certificates.check_ca_bundle(pem, "ca", need_cryptography=False)
    assert plain[0]["fingerprint_sha256"] == full[0]["fingerprint_sha256"] and plain[0]["is_ca"] is None
    if "not_after" in plain[0]:  # where the ssl module decodes certificates (CPython)
        assert plain[0]["not_after"] == full[0]["not_after"] and plain[0]["subject"] == "CN=unit-ca"
        assert "expires in" in warnings[0]
