#!/usr/bin/env bash
# The browser test drives Debian's Chromium (browser downloads are impossible here). Install it when
# missing and we can; otherwise say why, and the test is skipped with that reason printed.
set -uo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  APT="apt-get"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  APT="sudo apt-get"
else
  echo "browser.sh: chromium is missing and apt-get needs root; the browser test will be skipped" >&2
  exit 0
fi
echo "browser.sh: installing Debian's chromium for the browser test (about 1-2 minutes)..."
if ! ($APT update -qq && DEBIAN_FRONTEND=noninteractive $APT install -y -qq --no-install-recommends chromium) \
    >/tmp/roadmap-rag-chromium.log 2>&1; then
  echo "browser.sh: apt-get could not install chromium (see /tmp/roadmap-rag-chromium.log); the browser test will be skipped" >&2
fi
exit 0
