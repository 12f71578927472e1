# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""registry_ca's comparison: the certificates a ca.crt holds, not its bytes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.hosts.certs_d import RegistryCA


def certificate(name="unit-ca"):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class Module(object):
    def __init__(self):
        self.written = []

    def note_written(self, what):
        self.written.append(what)

    @staticmethod
    def atomic_move(src, dest):
        os.rename(src, dest)


def params(directory, pem):
    return dict(registry="registry.example.com:5000", ca=pem, ca_file=None, certs_dirs=[directory], docker=False,
                state="present")


@pytest.mark.parametrize("rewrite", [lambda pem: pem.replace("\n", "\r\n"), lambda pem: "\n\n" + pem + "\n\n",
                                     lambda pem: pem.rstrip("\n")])
def test_the_same_certificate_in_other_bytes_is_unchanged(tmp_path, rewrite):
    pytest.importorskip("cryptography")
    pem = certificate()
    path = tmp_path / "registry.example.com:5000" / "ca.crt"
    path.parent.mkdir()
    path.write_bytes(rewrite(pem).encode())
    before = path.read_bytes()
    module = Module()
    result = RegistryCA(module, params(str(tmp_path), pem), check_mode=False).run()
    assert not result["changed"] and result["files"][0]["action"] == "unchanged"
    assert path.read_bytes() == before and module.written == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_another_certificate_is_a_change(tmp_path):
    pytest.importorskip("cryptography")
    path = tmp_path / "registry.example.com:5000" / "ca.crt"
    path.parent.mkdir()
    path.write_text(certificate("old-ca"))
    module = Module()
    result = RegistryCA(module, params(str(tmp_path), certificate("new-ca")), check_mode=False).run()
    assert result["changed"] and result["files"][0]["action"] == "changed"
    assert module.written == ["changed %s" % os.path.join(str(tmp_path), "registry.example.com:5000", "ca.crt")]
