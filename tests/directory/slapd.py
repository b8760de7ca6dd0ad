"""A throw-away OpenLDAP slapd on 127.0.0.1 for tests and benchmarks (see shared real-servers.md).

`Slapd(root).start()` writes a fresh slapd.conf (mdb, memberof, ppolicy), loads the base entries with
slapadd, starts slapd in the foreground so we own its PID, and waits until it answers. Groups are
added online with ldapadd so the memberof overlay sees them. Non-ASCII values go in base64.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import free_port

SUFFIX = "dc=bureau,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "root-Secret-4711"
SERVICE_DN = f"cn=eoffice-svc,{SUFFIX}"
SERVICE_PW = "svc-Secret-0815"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SLAPD = "/usr/sbin/slapd"




def value(attr: str, text: str) -> str:
    """Return one LDIF line, base64-encoded when the value is not plain ASCII."""
    if text.isascii() and not text.startswith((" ", ":", "<")):
        return f"{attr}: {text}"
    return f"{attr}:: {base64.b64encode(text.encode()).decode()}"


def person(uid: str, name: str, password: str, *, ou: str | None = None, department: str | None = None,
           mail: str | None = None, title: str | None = None, employee_type: str | None = None) -> str:
    """Return the LDIF of an inetOrgPerson under ou=people (or a sub-OU of it)."""
    parent = f"ou={ou},{PEOPLE}" if ou else PEOPLE
    lines = [
        value("dn", f"uid={uid},{parent}"), "objectClass: inetOrgPerson", f"uid: {uid}",
        value("cn", name), value("sn", name[:1]), value("displayName", name), f"userPassword: {password}",
    ]
    if department:
        lines.append(value("departmentNumber", department))
    if mail:
        lines.append(f"mail: {mail}")
    if title:
        lines.append(value("title", title))
    if employee_type:
        lines.append(f"employeeType: {employee_type}")
    return "\n".join(lines) + "\n"


def group(cn: str, members: list[str]) -> str:
    """Return the LDIF of a groupOfNames under ou=groups; members are full DNs."""
    lines = [value("dn", f"cn={cn},{GROUPS}"), "objectClass: groupOfNames", value("cn", cn)]
    lines += [value("member", m) for m in members]
    return "\n".join(lines) + "\n"


def organizational_unit(ou: str, parent: str = PEOPLE) -> str:
    """Return the LDIF of an organizationalUnit."""
    return f"{value('dn', f'ou={ou},{parent}')}\nobjectClass: organizationalUnit\n{value('ou', ou)}\n"


BASE_LDIF = f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: bureau
o: bureau

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: {GROUPS}
objectClass: organizationalUnit
ou: groups

dn: ou=policies,{SUFFIX}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,{SUFFIX}
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 0

dn: {SERVICE_DN}
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: eoffice-svc
userPassword: {SERVICE_PW}
"""


@dataclass
class TlsFiles:
    ca_cert: Path
    cert: Path
    key: Path


def make_ca(directory: Path, name: str = "eoffice test CA") -> TlsFiles:
    """Create a self-signed CA and a server certificate for 127.0.0.1 / localhost with openssl."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "san.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_cert),
            "-days", "30", "-subj", f"/CN={name}")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
            "-subj", "/CN=127.0.0.1")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(cert), "-days", "30", "-extfile", str(ext))
    for path in (key, cert, ca_cert):
        path.chmod(0o644)  # slapd may drop privileges; the test files are throw-away
    return TlsFiles(ca_cert, cert, key)


@dataclass
class Slapd:
    root: Path
    tls: TlsFiles | None = None
    # Like Active Directory: a DN with an empty password binds anonymously and "succeeds".
    allow_bind_anon_dn: bool = False
    port: int = field(default_factory=free_port)
    ldaps_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    def start(self, ldif: str = "") -> Slapd:
        """Write the config, load BASE_LDIF plus `ldif` offline, start slapd and wait for it."""
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "db").mkdir(parents=True)
        conf = self.root / "slapd.conf"
        conf.write_text(self._config())
        subprocess.run(["slaptest", "-u", "-f", str(conf)], check=True, capture_output=True)
        (self.root / "base.ldif").write_text(BASE_LDIF + ("\n" + ldif if ldif else ""))
        subprocess.run(["slapadd", "-q", "-f", str(conf), "-l", str(self.root / "base.ldif")],
                       check=True, capture_output=True)
        self._launch()
        return self

    def _launch(self) -> None:
        urls = self.url + "/" + (f" {self.ldaps_url}/" if self.tls else "")
        with (self.root / "slapd.log").open("ab") as log:
            self.process = subprocess.Popen(
                [SLAPD, "-d", "0", "-f", str(self.root / "slapd.conf"), "-h", urls],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {(self.root / 'slapd.log').read_text()[-2000:]}")
            probe = subprocess.run(
                ["ldapsearch", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW, "-b", SUFFIX, "-s", "base",
                 "-o", "nettimeout=1", "dn"], capture_output=True,
            )
            if probe.returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("slapd did not answer within 15 s")

    def _config(self) -> str:
        tls = ""
        if self.tls:
            tls = (f"TLSCACertificateFile {self.tls.ca_cert}\nTLSCertificateFile {self.tls.cert}\n"
                   f"TLSCertificateKeyFile {self.tls.key}\n")
        return f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload ppolicy
pidfile {self.root}/slapd.pid
argsfile {self.root}/slapd.args
{tls}{"allow bind_anon_dn" if self.allow_bind_anon_dn else ""}
sizelimit unlimited
database mdb
maxsize 1073741824
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PW}
directory {self.root}/db
index objectClass eq
index uid eq
index member eq
index cn eq
overlay memberof
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{SUFFIX}"
ppolicy_use_lockout
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
"""

    def modify(self, ldif: str, *, add: bool = False) -> None:
        """Apply LDIF online as the root DN (ldapadd with add=True, else ldapmodify)."""
        tool = "ldapadd" if add else "ldapmodify"
        done = subprocess.run([tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW],
                              input=ldif.encode(), capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")

    def freeze(self) -> None:
        """Stop the process (SIGSTOP): connections are accepted by the kernel but never answered."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop slapd by its PID."""
        if self.process is None or self.process.poll() is not None:
            return
        self.thaw()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
