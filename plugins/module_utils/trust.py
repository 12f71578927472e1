# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CA certificates for registries: parse and check a PEM bundle, and check that it verifies a registry's TLS
certificate chain. Summaries carry subjects, fingerprints and expiry dates, never the PEM itself."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import importlib.util
import re
import socket
import ssl

from ansible_collections.ocp.registry.plugins.module_utils import names
from ansible_collections.ocp.registry.plugins.module_utils.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.transport import Peer, Transport, TransportError

# cryptography is imported when a certificate is first read, not when the module starts: most runs read none, and
# the import costs a module process about 20 ms
HAS_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None  # the module reports missing_required_lib


def _x509():
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    return x509


def _sha256():
    from cryptography.hazmat.primitives import hashes  # pylint: disable=import-outside-toplevel
    return hashes.SHA256()


PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\s.+?-----END CERTIFICATE-----", re.S)
HOST_PORT = names.HOST_PORT
EXPIRY_WARNING_DAYS = 30


class TrustError(OcpRegistryError, ValueError):
    pass


def _utc(value):
    return value if value.tzinfo else value.replace(tzinfo=_UTC)


class _UTCZone(datetime.tzinfo):
    def utcoffset(self, dt):
        return datetime.timedelta(0)

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return "UTC"


_UTC = _UTCZone()


def _now():
    return datetime.datetime.now(_UTC)


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return _utc(value if value is not None else cert.not_valid_after)


def _not_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    return _utc(value if value is not None else cert.not_valid_before)


def _is_ca(cert):
    try:
        return bool(cert.extensions.get_extension_for_class(_x509().BasicConstraints).value.ca)
    except _x509().ExtensionNotFound:
        return cert.issuer == cert.subject  # an old self-signed root without the extension


def describe(cert, now=None):
    """What a reviewer needs to know of a certificate: subject, issuer, validity, SHA-256 fingerprint."""
    now = now or _now()
    not_after = _not_after(cert)
    digest = cert.fingerprint(_sha256()).hex().upper()
    return dict(subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
                not_before=_not_before(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
                not_after=not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
                days_left=int((not_after - now).total_seconds() // 86400),
                fingerprint_sha256=":".join(digest[i:i + 2] for i in range(0, len(digest), 2)),
                is_ca=_is_ca(cert))


def parse_bundle(text, label, now=None):
    """The certificates of a PEM bundle, each described; TrustError (naming label) when it is not one."""
    if not HAS_CRYPTOGRAPHY:
        raise TrustError("%s: the cryptography Python package is needed to check certificates" % label)
    blocks = PEM_BLOCK.findall(text or "")
    if not blocks:
        raise TrustError("%s is not a PEM certificate: it holds no certificate block" % label)
    out = []
    for index, block in enumerate(blocks):
        try:
            cert = _x509().load_pem_x509_certificate(block.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise TrustError("%s: certificate %d of the bundle cannot be parsed (%s)" % (label, index + 1, exc))
        out.append(describe(cert, now))
    return out


def check_ca_bundle(text, label, now=None):
    """Parse and check a bundle meant to be trusted as a registry's CA. Returns (descriptions, warnings)."""
    certs = parse_bundle(text, label, now)
    warnings = []
    for cert in certs:
        if not cert["is_ca"]:
            raise TrustError("%s holds a certificate that is not a CA (subject %s, issued by %s): give the CA "
                             "certificate that signed the registry's certificate, not the registry's own"
                             % (label, cert["subject"], cert["issuer"]))
        if cert["days_left"] < 0:
            raise TrustError("%s: the CA %s expired on %s; nothing signed by it would be trusted"
                             % (label, cert["subject"], cert["not_after"]))
        if cert["days_left"] < EXPIRY_WARNING_DAYS:
            warnings.append("%s: the CA %s expires in %d day(s), on %s"
                            % (label, cert["subject"], cert["days_left"], cert["not_after"]))
    return certs, warnings


def split_host_port(registry, default_port=443):
    host, _sep, port = registry.rpartition(":") if ":" in registry else (registry, "", "")
    return host, int(port) if port else default_port


def verify_registry(registry, ca_pem, label, timeout=10.0, proxy=None, no_proxy=None):
    """Ask the registry for /v2/ through the collection's one transport (its proxy options, or the environment's,
    apply), trusting ca_pem alone: any HTTP answer means the chain it presents verifies for its host name. Raises
    TrustError saying which certificate failed and why, or that the registry is unreachable."""
    host, port = split_host_port(registry)
    peer = Peer("the registry %s" % registry, ca_option=label, ca_what="the CA given for it")
    client = Transport(peer, ca_data=ca_pem, timeout=timeout, proxy=proxy, no_proxy=no_proxy)
    try:
        client.request("GET", "https://%s/v2/" % registry)
    except TransportError as exc:
        if exc.outcome == "untrusted":
            presented = "" if proxy else _presented_certificate(host, port, timeout)
            raise TrustError("%s: the given CA does not verify the certificate %s presents%s: %s; nothing was "
                             "written" % (label, registry, presented, exc))
        raise TrustError("%s: %s; its certificate could not be checked, nothing was written" % (label, exc))
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
