#!/usr/bin/env bash
# Idempotent offline setup for the VS Code e2e suite: code-server 4.100.3 (the last one for Node 20) + Debian
# chromium, ripgrep and kerberos headers. Needs only Debian apt and the npm registry. Everything lands under
# $DEEPFAKE_STUDIO_E2E_ROOT (default /tmp/deepfake-studio-e2e), never in the extension's own package.json.
set -euo pipefail
ROOT=${DEEPFAKE_STUDIO_E2E_ROOT:-/tmp/deepfake-studio-e2e}
CS_VERSION=${CS_VERSION:-4.100.3}
CS_BIN="$ROOT/cs/node_modules/.bin/code-server"
mkdir -p "$ROOT"/{cs,tmp}

# 1) Debian packages: the browser, headers for code-server's kerberos addon, rg to stand in for a GitHub download.
need=()
for pkg in chromium libkrb5-dev pkg-config ripgrep; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}"
fi

if [ -x "$CS_BIN" ] && "$CS_BIN" --version >/dev/null 2>&1; then
  echo "code-server already installed: $("$CS_BIN" --version | head -n 1)"
  exit 0
fi

# 2) @vscode/ripgrep@1.15.11 (pinned by code-server) downloads rg from GitHub unless this cache already has it.
RGC="$ROOT/tmp/vscode-ripgrep-cache-1.15.11"
mkdir -p "$RGC" "$ROOT/tmp/rgstage"
cp "$(command -v rg)" "$ROOT/tmp/rgstage/rg"
tar czf "$RGC/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$ROOT/tmp/rgstage" rg

# 3) code-server from npm, in its own folder. As root its postinstall needs unsafe_perm; node-pty runs `npx node-gyp`.
cd "$ROOT/cs"
[ -f package.json ] || echo '{"name":"deepfake-studio-e2e-code-server","private":true}' > package.json
TMPDIR="$ROOT/tmp" npm_config_unsafe_perm=true npm_config_yes=true npm_config_fund=false npm_config_audit=false \
  npm install --no-save --foreground-scripts --loglevel=error "code-server@$CS_VERSION"
XDG_CONFIG_HOME="$ROOT/tmp/xdg" XDG_DATA_HOME="$ROOT/tmp/xdg-data" "$CS_BIN" --version
