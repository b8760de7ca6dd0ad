#!/usr/bin/env bash
# Install the Debian packages eoffice needs when they are missing.
#   scripts/debian-packages.sh run    what `make run` needs (python3-venv, a Chinese font, LibreOffice, poppler)
#   scripts/debian-packages.sh test   what `make test` needs (real slapd, cupsd, Chromium, LibreOffice, ...)
# Installs only as root; otherwise prints the apt-get line to run and exits non-zero.
set -euo pipefail

run_pkgs=(
  python3-venv python3-dev gcc
  fonts-wqy-microhei                     # Chinese glyphs in converted PDFs and printed text files
  fonts-arphic-uming fonts-arphic-ukai   # serif and kai faces for the 套红 公文 (stand-ins for 仿宋/小标宋/楷体)
  libreoffice-writer-nogui               # .docx -> PDF for printing and preview; .doc/.wps/.rtf in the archive
  libreoffice-calc-nogui                 # .xls/.et in the archive
  libreoffice-impress-nogui              # .ppt/.dps in the archive
  poppler-utils                          # pdftotext: PDFs pypdf cannot read; pdftoppm: scanned PDF pages for OCR
  tesseract-ocr tesseract-ocr-chi-sim    # OCR of scans (chosen over RapidOCR by measurement, docs/library.md)
  jbig2dec                               # JBIG2-compressed scans
)
test_pkgs=(
  "${run_pkgs[@]}"
  slapd ldap-utils                       # directory login tests (real OpenLDAP)
  cups cups-bsd cups-client libcups2-dev # printing tests (real cupsd) + building pycups
  chromium                               # end-to-end browser tests (Playwright drives Debian's Chromium)
  recollcmd                              # the search benchmark's reference engine
  postgresql                             # the PostgreSQL pass
)

case "${1:-test}" in
  run) wanted=("${run_pkgs[@]}") ;;
  test) wanted=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "eoffice needs these Debian packages: ${missing[*]}" >&2
  echo "Install them as root, then run make again:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing Debian packages: ${missing[*]}"
# Keep Debian from starting the system slapd/cupsd/postgresql: the tests start their own.
created_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
[[ $created_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
exit 0
