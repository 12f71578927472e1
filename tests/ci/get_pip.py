"""Offline stand-in for the get-pip script ansible-test downloads to bootstrap pip in its virtualenvs.

The machines that run the suite reach the package index but not the host that serves get-pip, so pip is
bootstrapped from the interpreter's own ensurepip (in a child process, so pip keeps reading /etc/pip.conf)
and then upgraded or pinned with the arguments ansible-test passes.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
args = [a for a in sys.argv[1:] if not a.startswith("--no-setuptools") and not a.startswith("--no-wheel")]
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
