#!/usr/bin/env bash
# Installs what the tests need (bubblewrap for the file:// sandbox, podman, runc, busybox-static and the
# containers.conf these VMs require, python3-kubernetes for the Python client test, prometheus for the metrics
# test) before `npm test`, when it can. Run by npm as the `pretest` script; KNIT_TEST_INSTALL=0 turns it off. When it cannot install
# (not root, no apt-get), it says so in one line and the tests that need what is missing skip. With
# `--runtime` (npm's prestart) it installs only bubblewrap, which `knit serve` needs for file:// images.
set -u

if [ "${1:-}" != --runtime ] && [ "$(id -u)" != 0 ] && [ "${KNIT_SANDBOX:-}" != off ]; then
  echo "knit tests: not root, so file:// instances cannot be sandboxed (docs/architecture.md \"Sandbox\"): the sandbox tests will be skipped and the other file:// tests need KNIT_SANDBOX=off" >&2
fi

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
conf=/etc/containers/containers.conf
# `--runtime` (npm's prestart): only what `knit serve` itself needs, the sandbox of file:// instances.
if [ "${1:-}" = --runtime ]; then
  [ ${#need[@]} -eq 0 ] && exit 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "knit: bubblewrap is missing, so file:// images cannot be sandboxed: install it (apt-get install bubblewrap) or set KNIT_SANDBOX=off" >&2
    exit 0
  fi
  echo "knit: installing bubblewrap for the file:// sandbox (apt-get)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; } ||
    echo "knit: installing bubblewrap failed: file:// images will be refused until it is installed (or KNIT_SANDBOX=off)" >&2
  exit 0
fi
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)  # a loopback registry for the export e2e test
command -v runc >/dev/null 2>&1 || need+=(runc)
[ -x /bin/busybox ] || need+=(busybox-static)
# The HTTPS gateway test makes its certificates with openssl and calls the gateway with curl.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
# The Debian package, for the system Python (a pyenv python3 on PATH would not see it).
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || need+=(python3-kubernetes)
# promtool and a real Prometheus for the metrics test.
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# Headless Chromium for the dashboard's browser test (playwright-core drives /usr/bin/chromium).
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -eq 0 ] && [ -f "$conf" ]; then exit 0; fi

how="apt-get install -y bubblewrap podman runc busybox-static python3-kubernetes prometheus chromium, and put [containers] default_ulimits = [] and [engine] runtime = \"runc\" in $conf"
if [ "${KNIT_TEST_INSTALL:-1}" = 0 ]; then
  echo "knit tests: ${need[*]:-containers.conf} missing and KNIT_TEST_INSTALL=0: the tests that need them will be skipped (install: $how)" >&2
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "knit tests: ${need[*]:-containers.conf} missing and not root: the tests that need them will be skipped (install as root: $how)" >&2
    exit 0
  fi
fi

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "knit tests: ${need[*]} missing and no apt-get here: the tests that need them will be skipped (install bubblewrap, podman, runc, a static busybox, the Python kubernetes client and Prometheus with your package manager)" >&2
    exit 0
  fi
  echo "knit tests: installing ${need[*]} (apt-get; KNIT_TEST_INSTALL=0 skips this)" >&2
  if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }; then
    echo "knit tests: installing ${need[*]} failed: the tests that need them will be skipped (install: $how)" >&2
    exit 0
  fi
fi

# crun and podman's default ulimits fail in these VMs: runc, and no ulimits.
if [ ! -f "$conf" ]; then
  $sudo mkdir -p "$(dirname "$conf")"
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' | $sudo tee "$conf" >/dev/null
fi
exit 0
