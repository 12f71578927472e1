# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates, the one place the collection reads them: the blocks of a PEM bundle, each described (subject,
issuer, validity, SHA-256 fingerprint, whether it is a CA), a bundle checked as a registry's CA, two bundles
compared by the certificates they hold (never by their bytes), and a registry's chain checked against a CA through
the collection's transport. Descriptions never carry the PEM itself.

cryptography reads the certificates where it is installed (always on the controller, where the cluster modules
run). A managed host without it still gets fingerprints, and subject and expiry from the ssl module's own decoder
where the Python has one; is_ca is then unknown (None)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import importlib.util
import os
import re
import socket
import ssl
import tempfile

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.transport import Peer, Transport, TransportError

# cryptography is imported when a certificate is first read, not when the module starts: most runs read none, and
# the import costs a module process about 20 ms
HAS_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None  # the module reports missing_required_lib

BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.S)
EXPIRY_WARNING_DAYS = 30
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SHORT_NAMES = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C",
               "localityName": "L", "stateOrProvinceName": "ST", "domainComponent": "DC", "streetAddress": "STREET",
               "userId": "UID"}


class CertificateError(OcpRegistryError, ValueError):
    pass


def _x509():
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    return x509


class _UTCZone(datetime.tzinfo):
    def utcoffset(self, dt):
        return datetime.timedelta(0)

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return "UTC"


_UTC = _UTCZone()


def _utc(value):
    return value if value.tzinfo else value.replace(tzinfo=_UTC)


def _now():
    return datetime.datetime.now(_UTC)


def fingerprint(der):
    """The SHA-256 fingerprint of a DER certificate, as openssl prints it (AB:CD:...)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _ders(text, label):
    """The DER of each certificate block in text; CertificateError (naming label) for anything else."""
    blocks = BLOCK.findall(text or "")
    if not blocks:
        raise CertificateError("%s is not a PEM certificate: it holds no certificate block" % label)
    out = []
    for index, body in enumerate(blocks):
        try:
            der = base64.b64decode("".join(body.split()).encode("ascii"), validate=True)
        except (binascii.Error, TypeError, ValueError, UnicodeEncodeError):
            raise CertificateError("%s: certificate %d of the bundle cannot be parsed (not valid base64)"
                                   % (label, index + 1))
        if len(der) < 64 or der[:1] != b"\x30":
            raise CertificateError("%s: certificate %d of the bundle cannot be parsed (not a DER certificate)"
                                   % (label, index + 1))
        out.append(der)
    return out


def _is_ca(cert):
    x509 = _x509()
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return cert.issuer == cert.subject  # an old self-signed root without the extension


def _describe(der, now):
    cert = _x509().load_der_x509_certificate(der)
    after = _utc(getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after)
    before = _utc(getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before)
    return dict(subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
                not_before=before.strftime(TIME_FORMAT), not_after=after.strftime(TIME_FORMAT),
                days_left=int((after - now).total_seconds() // 86400), fingerprint_sha256=fingerprint(der),
                is_ca=_is_ca(cert))


def _describe_without_cryptography(der, now):
    """What the standard library can tell: the fingerprint, and subject and expiry where the ssl module decodes."""
    item = dict(fingerprint_sha256=fingerprint(der), is_ca=None)
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is None:
        return item
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        os.write(fd, ssl.DER_cert_to_PEM_cert(der).encode("ascii"))
        os.close(fd)
        decoded = decode(path)
        expires = ssl.cert_time_to_seconds(decoded["notAfter"])
    except Exception:  # pylint: disable=broad-except
        return item
    finally:
        os.remove(path)
    after = datetime.datetime.fromtimestamp(expires, _UTC)
    # written as cryptography writes it (RFC 4514: short names, the last RDN first)
    item.update(subject=",".join("%s=%s" % (SHORT_NAMES.get(key, key), value)
                                 for rdn in reversed(decoded.get("subject", ())) for key, value in rdn),
                not_after=after.strftime(TIME_FORMAT), days_left=int((after - now).total_seconds() // 86400))
    return item


def read_bundle(text, label, now=None, need_cryptography=True):
    """Each certificate of a PEM bundle, described. CertificateError (naming label) when it is not one, or when
    cryptography is needed and missing."""
    if need_cryptography and not HAS_CRYPTOGRAPHY:
        raise CertificateError("%s: the cryptography Python package is needed to check certificates" % label)
    now = now or _now()
    out = []
    for index, der in enumerate(_ders(text, label)):
        if not HAS_CRYPTOGRAPHY:
            out.append(_describe_without_cryptography(der, now))
            continue
        try:
            out.append(_describe(der, now))
        except ValueError as exc:
            raise CertificateError("%s: certificate %d of the bundle cannot be parsed (%s)" % (label, index + 1, exc))
    return out


def fingerprints(text):
    """The fingerprints of the certificates text holds, in order, or None when it holds none that parse."""
    try:
        return [fingerprint(der) for der in _ders(text, "text")]
    except CertificateError:
        return None


def same_certificates(one, other):
    """Whether two PEM texts hold the same certificates in the same order (line endings, whitespace and the text
    around the blocks do not count)."""
    mine = fingerprints(one)
    return mine is not None and mine == fingerprints(other)


def check_ca_bundle(text, label, now=None, need_cryptography=True):
    """Read a bundle meant to be trusted as a registry's CA: an expired certificate or one that is not a CA is an
    error (naming label); one that expires within EXPIRY_WARNING_DAYS a warning. Returns (descriptions, warnings)."""
    certs = read_bundle(text, label, now, need_cryptography)
    warnings = []
    for cert in certs:
        if cert["is_ca"] is False:
            raise CertificateError("%s holds a certificate that is not a CA (subject %s, issued by %s): give the CA "
                                   "certificate that signed the registry's certificate, not the registry's own"
                                   % (label, cert["subject"], cert["issuer"]))
        if "days_left" not in cert:
            continue
        if cert["days_left"] < 0:
            raise CertificateError("%s: the CA %s expired on %s; nothing signed by it would be trusted"
                                   % (label, cert.get("subject", ""), cert["not_after"]))
        if cert["days_left"] < EXPIRY_WARNING_DAYS:
            warnings.append("%s: the CA %s expires in %d day(s), on %s"
                            % (label, cert.get("subject", ""), cert["days_left"], cert["not_after"]))
    return certs, warnings


def split_host_port(registry, default_port=443):
    host, _sep, port = registry.rpartition(":") if ":" in registry else (registry, "", "")
    return host, int(port) if port else default_port


def verify_registry(registry, ca_pem, label, timeout=10.0, proxy=None, no_proxy=None):
    """Ask the registry for /v2/ through the collection's one transport (its proxy options, or the environment's,
    apply), trusting ca_pem alone: any HTTP answer means the chain it presents verifies for its host name. Raises
    CertificateError saying which certificate failed and why, or that the registry is unreachable."""
    host, port = split_host_port(registry)
    peer = Peer("the registry %s" % registry, ca_option=label, ca_what="the CA given for it")
    client = Transport(peer, ca_data=ca_pem, timeout=timeout, proxy=proxy, no_proxy=no_proxy)
    try:
        client.request("GET", "https://%s/v2/" % registry)
    except TransportError as exc:
        if exc.outcome == "untrusted":
            presented = "" if proxy else _presented_certificate(host, port, timeout)
            raise CertificateError("%s: the given CA does not verify the certificate %s presents%s: %s; nothing was "
                                   "written" % (label, registry, presented, exc))
        raise CertificateError("%s: %s; its certificate could not be checked, nothing was written" % (label, exc))
    finally:
        client.close()


def _presented_certificate(host, port, timeout):
    """' (subject ..., issued by ...)' for the leaf certificate the server presents, read without verifying."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
        cert = _x509().load_der_x509_certificate(der)
        return " (subject %s, issued by %s)" % (cert.subject.rfc4514_string(), cert.issuer.rfc4514_string())
    except Exception:  # pylint: disable=broad-except
        return ""
