# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PEM certificates on managed hosts, with the standard library: the blocks, their DER, SHA-256 fingerprints, and
(where the Python's ssl module can decode certificates) subject and expiry. Uses cryptography when the host has it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import os
import re
import ssl
import tempfile
import time

from ansible_collections.ocp.registry.plugins.module_utils.errors import OcpRegistryError

try:
    from cryptography import x509
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.S)


class PemError(OcpRegistryError, ValueError):
    pass


def fingerprint(der):
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _decode_with_ssl(pem_block):
    """subject and notAfter from the ssl module's own decoder (CPython), or {} where it is missing."""
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is None:
        return {}
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        os.write(fd, pem_block.encode("ascii"))
        os.close(fd)
        return decode(path)
    except Exception:  # pylint: disable=broad-except
        return {}
    finally:
        os.remove(path)


def describe(text, label, now=None):
    """Each certificate of a PEM bundle: fingerprint_sha256, and subject, not_after, days_left when readable.
    PemError (naming label) for anything that is not a certificate, an expired one, or one that is not a CA."""
    now = time.time() if now is None else now
    blocks = BLOCK.findall(text or "")
    if not blocks:
        raise PemError("%s is not a PEM certificate: it holds no certificate block" % label)
    out = []
    for index, body in enumerate(blocks):
        try:
            der = base64.b64decode("".join(body.split()).encode("ascii"))
        except (binascii.Error, TypeError, ValueError, UnicodeEncodeError):
            raise PemError("%s: certificate %d is not valid base64" % (label, index + 1))
        if len(der) < 64 or der[:1] != b"\x30":
            raise PemError("%s: certificate %d is not a DER certificate" % (label, index + 1))
        item = dict(fingerprint_sha256=fingerprint(der))
        pem_block = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % body
        if HAS_CRYPTOGRAPHY:
            try:
                cert = x509.load_der_x509_certificate(der)
            except ValueError as exc:
                raise PemError("%s: certificate %d cannot be parsed (%s)" % (label, index + 1, exc))
            try:
                is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
            except x509.ExtensionNotFound:
                is_ca = cert.issuer == cert.subject
            if not is_ca:
                raise PemError("%s holds a certificate that is not a CA (subject %s): give the CA that signed the "
                               "registry's certificate" % (label, cert.subject.rfc4514_string()))
            after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
            item.update(subject=cert.subject.rfc4514_string(), not_after=after.strftime("%Y-%m-%dT%H:%M:%SZ"))
            expires = _timestamp(after.strftime("%b %d %H:%M:%S %Y GMT"))
        else:
            decoded = _decode_with_ssl(pem_block)
            if decoded:
                item["subject"] = ",".join("%s=%s" % pair for rdn in decoded.get("subject", ()) for pair in rdn)
                item["not_after"] = decoded.get("notAfter")
            expires = _timestamp(decoded.get("notAfter")) if decoded else None
        if expires is not None:
            item["days_left"] = int((expires - now) // 86400)
            if expires < now:
                raise PemError("%s: the CA %s expired on %s" % (label, item.get("subject", ""), item.get("not_after")))
        out.append(item)
    return out


def _timestamp(text):
    if not text:
        return None
    try:
        return ssl.cert_time_to_seconds(text)
    except ValueError:
        return None
